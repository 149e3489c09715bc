package io.berth.client.layout;

import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.MediaTypes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Creates or extends an OCI image layout directory. Blobs are content-addressed and appear whole or not at all
 * (written to a temporary file, digest checked, renamed into place), so a reader never sees a partial blob and an
 * interrupted pull leaves nothing wrong behind. {@code index.json} is rewritten the same way, keeping every entry and
 * field it does not change. One writer at a time: two processes tagging the same layout at once can lose an entry.
 */
public final class OciLayoutWriter {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path root;

    private OciLayoutWriter(Path root) {
        this.root = root;
    }

    /**
     * Opens the layout at {@code dir} for writing, creating the directory, {@code oci-layout}, {@code blobs/} and an
     * empty {@code index.json} where missing; an existing layout must be of version 1.
     */
    public static OciLayoutWriter create(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("blobs"));
        OciLayoutWriter writer = new OciLayoutWriter(dir);
        Path marker = dir.resolve("oci-layout");
        if (Files.exists(marker)) {
            String version = readJson(marker).path("imageLayoutVersion").asString("");
            if (!version.startsWith("1.")) {
                throw new InvalidLayoutException("unsupported imageLayoutVersion \"" + version + "\" in " + marker);
            }
        } else {
            writer.replace(marker, "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        }
        if (!Files.exists(dir.resolve("index.json"))) {
            ObjectNode index = JSON.createObjectNode();
            index.put("schemaVersion", 2);
            index.put("mediaType", MediaTypes.OCI_INDEX);
            index.putArray("manifests");
            writer.replace(dir.resolve("index.json"), JSON.writeValueAsBytes(index));
        }
        return writer;
    }

    public Path root() {
        return root;
    }

    /** Where the blob lives (or will): a client can check for it, or download to a temporary file beside it. */
    public Path blobPath(Digest digest) {
        return root.resolve("blobs").resolve(digest.algorithm().prefix()).resolve(digest.hex());
    }

    public boolean hasBlob(Digest digest) {
        return Files.isRegularFile(blobPath(digest));
    }

    /** Writes bytes as a blob and gives their digest. */
    public Digest writeBlob(byte[] content) throws IOException {
        Digest digest = Digest.sha256(content);
        writeBlob(digest, new ByteArrayInputStream(content));
        return digest;
    }

    /**
     * Streams a blob into the layout; throws, leaving nothing behind, when the bytes do not hash to {@code expected}.
     * A blob already present is left as it is (the stream is not read): the same digest is the same bytes.
     */
    public void writeBlob(Digest expected, InputStream content) throws IOException {
        Path target = blobPath(expected);
        if (Files.isRegularFile(target)) {
            return;
        }
        Files.createDirectories(target.getParent());
        Path temp = Files.createTempFile(target.getParent(), ".tmp-" + expected.hex(), "");
        try {
            MessageDigest md = expected.algorithm().newMessageDigest();
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                try (OutputStream out = new DigestOutputStream(Channels.newOutputStream(channel), md)) {
                    content.transferTo(out);
                    out.flush();
                    channel.force(true);
                }
            }
            Digest actual = Digest.of(expected.algorithm(), md);
            if (!actual.equals(expected)) {
                throw new InvalidLayoutException("blob expected to be " + expected + " hashes to " + actual);
            }
            move(temp, target);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Adds an {@code index.json} entry for the manifest, named {@code refName} by the {@link OciLayout#REF_NAME}
     * annotation, replacing any entry that carries the same name (as skopeo and umoci do). With no name, the entry is
     * added unless an unnamed entry for the same digest is already there. The manifest's blob should be written
     * first: readers follow the entry at once.
     */
    public void tag(Descriptor manifest, String refName) throws IOException {
        Path indexFile = root.resolve("index.json");
        JsonNode read = readJson(indexFile);
        if (!read.isObject()) {
            throw new InvalidLayoutException(indexFile + " is not a JSON object");
        }
        ObjectNode index = (ObjectNode) read;
        JsonNode existing = index.get("manifests");
        ArrayNode kept = JSON.createArrayNode();
        if (existing != null && existing.isArray()) {
            for (JsonNode entry : existing) {
                String name = entry.path("annotations").path(OciLayout.REF_NAME).asString(null);
                boolean sameName = refName != null && refName.equals(name);
                boolean sameUnnamed = refName == null && name == null
                        && manifest.digest().toString().equals(entry.path("digest").asString(null));
                if (!sameName && !sameUnnamed) {
                    kept.add(entry);
                }
            }
        }
        kept.add(entry(manifest, refName));
        index.set("manifests", kept);
        if (!index.has("schemaVersion")) {
            index.put("schemaVersion", 2);
        }
        replace(indexFile, JSON.writeValueAsBytes(index));
    }

    private static ObjectNode entry(Descriptor manifest, String refName) {
        ObjectNode node = JSON.createObjectNode();
        node.put("mediaType", manifest.mediaType());
        node.put("digest", manifest.digest().toString());
        node.put("size", manifest.size());
        if (manifest.artifactType() != null) {
            node.put("artifactType", manifest.artifactType());
        }
        if (!manifest.urls().isEmpty()) {
            ArrayNode urls = node.putArray("urls");
            manifest.urls().forEach(urls::add);
        }
        if (!manifest.annotations().isEmpty() || refName != null) {
            ObjectNode annotations = node.putObject("annotations");
            for (Map.Entry<String, String> annotation : manifest.annotations().entrySet()) {
                annotations.put(annotation.getKey(), annotation.getValue());
            }
            if (refName != null) {
                annotations.put(OciLayout.REF_NAME, refName);
            }
        }
        return node;
    }

    private static JsonNode readJson(Path file) throws IOException {
        try {
            return JSON.readTree(Files.readAllBytes(file));
        } catch (JacksonException e) {
            throw new InvalidLayoutException(file + " is not JSON");
        }
    }

    private void replace(Path file, byte[] content) throws IOException {
        Path temp = Files.createTempFile(file.getParent(), ".tmp-" + file.getFileName(), "");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer bytes = ByteBuffer.wrap(content);
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
                channel.force(true);
            }
            move(temp, file);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Temporary files are created 0600, but a layout is shared like any image directory: readable by all, as skopeo writes. */
    private static void move(Path temp, Path target) throws IOException {
        try {
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException notPosix) {
            // Windows: the default permissions are fine.
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
