package io.berth.client.layout;

import io.berth.client.BlobSource;
import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.InvalidManifestException;
import io.berth.oci.Manifest;
import io.berth.oci.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An OCI image layout to read (image-spec {@code image-layout.md}): a directory, or a tar archive of one (gzip
 * compressed or not), as {@code skopeo copy oci:…}, {@code oci-archive:…}, buildah, umoci and {@code docker save}'s
 * OCI mode write. A tar is read in place; a gzip-compressed one is first decompressed to a temporary file, because
 * a compressed stream cannot be read from an offset, which resumable uploads need. Close the layout to delete it.
 */
public final class OciLayout implements AutoCloseable {
    /** The annotation on an {@code index.json} entry that names it, as a tag names a manifest. */
    public static final String REF_NAME = "org.opencontainers.image.ref.name";

    /** Manifests are small; a larger one is a mistake, and must not be read into memory whole. */
    static final int MAX_MANIFEST_SIZE = 4 << 20;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final LayoutFiles files;
    private final List<Descriptor> manifests;
    private final Path temporary;

    private OciLayout(LayoutFiles files, List<Descriptor> manifests, Path temporary) {
        this.files = files;
        this.manifests = manifests;
        this.temporary = temporary;
    }

    /** Opens a layout directory, or a tar or gzip-compressed tar of one, checking its {@code oci-layout} version. */
    public static OciLayout open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            return open(LayoutFiles.directory(path), null);
        }
        if (!Files.isRegularFile(path)) {
            throw new InvalidLayoutException(path + " is neither a layout directory nor a tar of one");
        }
        if (!isGzip(path)) {
            return open(TarIndex.read(path), null);
        }
        Path tar = Files.createTempFile("berth-layout-", ".tar");
        try {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(path), 64 * 1024);
                 OutputStream out = Files.newOutputStream(tar)) {
                in.transferTo(out);
            }
            return open(TarIndex.read(tar), tar);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tar);
            throw e;
        }
    }

    private static OciLayout open(LayoutFiles files, Path temporary) throws IOException {
        checkVersion(files);
        byte[] index = readSmall(files, "index.json");
        Manifest parsed;
        try {
            parsed = Manifest.parse(index, MediaTypes.OCI_INDEX);
        } catch (InvalidManifestException e) {
            throw new InvalidLayoutException("index.json is not a valid image index: " + e.getMessage());
        }
        if (!parsed.isIndex()) {
            throw new InvalidLayoutException("index.json is not an image index");
        }
        return new OciLayout(files, parsed.children(), temporary);
    }

    /** Version 1.x: a later major version could put blobs where this reader would not look. */
    private static void checkVersion(LayoutFiles files) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(readSmall(files, "oci-layout"));
        } catch (JacksonException e) {
            throw new InvalidLayoutException("oci-layout is not JSON");
        }
        String version = root.path("imageLayoutVersion").asString("");
        if (!version.equals("1.0.0") && !version.startsWith("1.")) {
            throw new InvalidLayoutException("unsupported imageLayoutVersion \"" + version + "\" in oci-layout");
        }
    }

    private static byte[] readSmall(LayoutFiles files, String path) throws IOException {
        BlobSource source = files.file(path)
                .orElseThrow(() -> new InvalidLayoutException("not an OCI image layout: " + path + " is missing"));
        if (source.size() > MAX_MANIFEST_SIZE) {
            throw new InvalidLayoutException(path + " is " + source.size() + " bytes, more than a layout file holds");
        }
        try (InputStream in = source.open(0)) {
            return in.readAllBytes();
        }
    }

    private static boolean isGzip(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }

    /** The entries of {@code index.json}, in order, with their annotations (such as {@link #REF_NAME}). */
    public List<Descriptor> manifests() {
        return manifests;
    }

    /** The entry named {@code refName}; the last one when several carry the name, as skopeo reads them. */
    public Optional<Descriptor> manifest(String refName) {
        Descriptor found = null;
        for (Descriptor descriptor : manifests) {
            if (refName.equals(descriptor.annotations().get(REF_NAME))) {
                found = descriptor;
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * The entry a user means: by name, or, with no name ({@code null} or empty), the only entry, as {@code oci:DIR}
     * without a reference means in skopeo.
     */
    public Descriptor resolve(String refName) throws InvalidLayoutException {
        if (refName != null && !refName.isEmpty()) {
            return manifest(refName).orElseThrow(
                    () -> new InvalidLayoutException("no manifest named \"" + refName + "\" in index.json"));
        }
        if (manifests.size() != 1) {
            throw new InvalidLayoutException("index.json holds " + manifests.size()
                    + " manifests; name one by its " + REF_NAME + " annotation");
        }
        return manifests.getFirst();
    }

    /** The manifest's bytes, exactly as stored, checked against the descriptor's size and digest. */
    public byte[] readManifest(Descriptor descriptor) throws IOException {
        if (descriptor.size() > MAX_MANIFEST_SIZE) {
            throw new InvalidLayoutException("manifest " + descriptor.digest() + " is " + descriptor.size()
                    + " bytes, larger than any registry accepts");
        }
        BlobSource source = blob(descriptor.digest())
                .orElseThrow(() -> new InvalidLayoutException("blob " + descriptor.digest() + " is missing"));
        byte[] bytes;
        try (InputStream in = source.open(0)) {
            bytes = in.readNBytes(MAX_MANIFEST_SIZE + 1);
        }
        if (bytes.length != descriptor.size() || !descriptor.digest().matches(bytes)) {
            throw new InvalidLayoutException("blob " + descriptor.digest() + " does not match its descriptor");
        }
        return bytes;
    }

    /**
     * The blob's bytes; empty when the layout lacks it, which the spec allows (an external store may hold it). Its
     * content is not checked here: a registry checks the digest of what is pushed, and {@link OciLayoutWriter} of
     * what is written.
     */
    public Optional<BlobSource> blob(Digest digest) throws IOException {
        return files.file(blobPath(digest));
    }

    static String blobPath(Digest digest) {
        return "blobs/" + digest.algorithm().prefix() + "/" + digest.hex();
    }

    @Override
    public void close() throws IOException {
        if (temporary != null) {
            Files.deleteIfExists(temporary);
        }
    }
}
