package io.berth.server.clients;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An OCI image layout directory (image-spec {@code image-layout.md}): {@code oci-layout}, {@code index.json} and
 * {@code blobs/sha256/<hex>}. Tests craft images here byte by byte, hand them to a client through its {@code oci:}
 * transport, and read what the client copied back.
 */
public final class OciLayout {
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final String REF_NAME = "org.opencontainers.image.ref.name";

    public record Descriptor(String mediaType, String digest, long size) {
        Map<String, Object> json() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("mediaType", mediaType);
            json.put("digest", digest);
            json.put("size", size);
            return json;
        }
    }

    /** The media types of one manifest family; the layouts and the registry must keep them as they are. */
    public enum Flavour {
        OCI(RegistryHttp.OCI_MANIFEST, RegistryHttp.OCI_INDEX,
                "application/vnd.oci.image.config.v1+json", "application/vnd.oci.image.layer.v1.tar+gzip"),
        DOCKER(RegistryHttp.DOCKER_MANIFEST, RegistryHttp.DOCKER_MANIFEST_LIST,
                "application/vnd.docker.container.image.v1+json", "application/vnd.docker.image.rootfs.diff.tar.gzip");

        final String manifest;
        final String index;
        final String config;
        final String layer;

        Flavour(String manifest, String index, String config, String layer) {
            this.manifest = manifest;
            this.index = index;
            this.config = config;
            this.layer = layer;
        }
    }

    private final Path dir;

    private OciLayout(Path dir) {
        this.dir = dir;
    }

    public static OciLayout create(Path dir) {
        try {
            Files.createDirectories(dir.resolve("blobs/sha256"));
            Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new OciLayout(dir);
    }

    public static OciLayout at(Path dir) {
        if (!Files.isRegularFile(dir.resolve("index.json"))) {
            throw new AssertionError("no OCI layout at " + dir);
        }
        return new OciLayout(dir);
    }

    public Path dir() {
        return dir;
    }

    public Descriptor put(String mediaType, byte[] bytes) {
        String digest = Sha256.of(bytes);
        try {
            Files.write(dir.resolve("blobs/sha256").resolve(Sha256.encoded(digest)), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Descriptor(mediaType, digest, bytes.length);
    }

    Descriptor putJson(String mediaType, Object json) {
        return put(mediaType, JSON.writeValueAsBytes(json));
    }

    /**
     * A single-platform image of one gzip layer holding {@code files}: config, layer and manifest blobs, in the media
     * types of {@code flavour}. Returns the manifest descriptor.
     */
    public Descriptor putImage(Flavour flavour, String os, String architecture, Map<String, byte[]> files) {
        byte[] tar = Tarballs.tar(files);
        Descriptor layer = put(flavour.layer, Tarballs.gzip(tar));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architecture", architecture);
        config.put("os", os);
        config.put("config", Map.of("Env", List.of("PATH=/usr/bin:/bin")));
        config.put("rootfs", Map.of("type", "layers", "diff_ids", List.of(Sha256.of(tar))));
        Descriptor configBlob = putJson(flavour.config, config);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", flavour.manifest);
        manifest.put("config", configBlob.json());
        manifest.put("layers", List.of(layer.json()));
        return putJson(flavour.manifest, manifest);
    }

    /** An image index (or Docker manifest list) of the given platform manifests. */
    public Descriptor putIndex(Flavour flavour, List<PlatformManifest> manifests) {
        List<Map<String, Object>> entries = new ArrayList<>();
        for (PlatformManifest m : manifests) {
            Map<String, Object> entry = m.manifest().json();
            entry.put("platform", Map.of("architecture", m.architecture(), "os", m.os()));
            entries.add(entry);
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", flavour.index);
        index.put("manifests", entries);
        return putJson(flavour.index, index);
    }

    public record PlatformManifest(String os, String architecture, Descriptor manifest) {}

    /** Writes index.json naming each descriptor by its tag. */
    public void tag(Map<String, Descriptor> tags) {
        List<Map<String, Object>> manifests = new ArrayList<>();
        tags.forEach((tag, descriptor) -> {
            Map<String, Object> entry = descriptor.json();
            entry.put("annotations", Map.of(REF_NAME, tag));
            manifests.add(entry);
        });
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("manifests", manifests);
        try {
            Files.write(dir.resolve("index.json"), JSON.writeValueAsBytes(index));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The descriptor index.json gives for a tag. */
    public Descriptor resolve(String tag) {
        JsonNode index;
        try {
            index = JSON.readTree(Files.readAllBytes(dir.resolve("index.json")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (JsonNode entry : index.path("manifests")) {
            if (tag.equals(entry.path("annotations").path(REF_NAME).asString(null))) {
                return new Descriptor(entry.path("mediaType").asString(), entry.path("digest").asString(),
                        entry.path("size").asLong());
            }
        }
        throw new AssertionError("tag " + tag + " not in " + dir.resolve("index.json"));
    }

    /**
     * Writes the image graph below {@code digest} as a containers/image {@code dir:} transport directory, the one local
     * format in which skopeo reads Docker media types unchanged: {@code manifest.json} for the top manifest,
     * {@code <hex>.manifest.json} for the instances of a list, {@code <hex>} for other blobs.
     */
    Path exportDirTransport(Path target, String digest) {
        try {
            Files.createDirectories(target);
            Files.writeString(target.resolve("version"), "Directory Transport Version: 1.1\n");
            Files.write(target.resolve("manifest.json"), blob(digest));
            JsonNode top = json(digest);
            for (String reference : references(top)) {
                Files.write(target.resolve(Sha256.encoded(reference)), blob(reference));
            }
            for (JsonNode child : top.path("manifests")) {
                String childDigest = child.path("digest").asString();
                Files.write(target.resolve(Sha256.encoded(childDigest) + ".manifest.json"), blob(childDigest));
                for (String reference : references(json(childDigest))) {
                    Files.write(target.resolve(Sha256.encoded(reference)), blob(reference));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    public byte[] blob(String digest) {
        Path file = dir.resolve("blobs/sha256").resolve(Sha256.encoded(digest));
        if (!Files.isRegularFile(file)) {
            throw new AssertionError("blob " + digest + " missing from " + dir);
        }
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    JsonNode json(String digest) {
        return JSON.readTree(blob(digest));
    }

    /** Every blob digest present in the layout. */
    public List<String> blobDigests() {
        try (Stream<Path> files = Files.list(dir.resolve("blobs/sha256"))) {
            return files.map(f -> "sha256:" + f.getFileName()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The digests a manifest or index points at: config, layers, child manifests (not recursive). */
    static List<String> references(JsonNode manifest) {
        List<String> digests = new ArrayList<>();
        if (manifest.has("config")) {
            digests.add(manifest.path("config").path("digest").asString());
        }
        for (JsonNode layer : manifest.path("layers")) {
            digests.add(layer.path("digest").asString());
        }
        for (JsonNode child : manifest.path("manifests")) {
            digests.add(child.path("digest").asString());
        }
        return digests;
    }
}
