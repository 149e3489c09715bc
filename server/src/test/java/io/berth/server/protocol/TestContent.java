package io.berth.server.protocol;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Content for pushes, shaped as the OCI image-spec and the Docker v2 formats describe it: random blobs, digests,
 * descriptors and manifest documents. Documents are plain ordered maps, so a test can add or break any field
 * before serialising.
 */
public final class TestContent {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String OCI_NONDISTRIBUTABLE_LAYER = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public static final String DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

    /** The OCI empty descriptor's content: the two bytes {@code {}}. */
    public static final byte[] EMPTY_JSON = {'{', '}'};

    public static final JsonMapper JSON = JsonMapper.builder().build();

    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private TestContent() {}

    /** A repository name no other test uses, within the spec grammar. */
    public static String uniqueRepository(String prefix) {
        return prefix + "-" + SEQUENCE.incrementAndGet() + "-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
    }

    public static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }

    public static byte[] randomBytes(Random random, int size) {
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        return bytes;
    }

    public static String sha256(byte[] content) {
        return digest("sha256", content);
    }

    public static String digest(String algorithm, byte[] content) {
        return algorithm + ":" + HexFormat.of().formatHex(hasher(algorithm).digest(content));
    }

    /** The JDK hasher for an OCI digest algorithm name ({@code sha256}, {@code sha512}). */
    public static MessageDigest hasher(String algorithm) {
        try {
            return MessageDigest.getInstance(switch (algorithm) {
                case "sha256" -> "SHA-256";
                case "sha512" -> "SHA-512";
                default -> throw new IllegalArgumentException(algorithm);
            });
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Map<String, Object> descriptor(String mediaType, byte[] content) {
        return descriptor(mediaType, sha256(content), content.length);
    }

    public static Map<String, Object> descriptor(String mediaType, String digest, long size) {
        Map<String, Object> descriptor = new LinkedHashMap<>();
        descriptor.put("mediaType", mediaType);
        descriptor.put("digest", digest);
        descriptor.put("size", size);
        return descriptor;
    }

    /** An OCI image manifest with the given config and layers; callers may add fields before {@link #toJson}. */
    public static Map<String, Object> ociManifest(Map<String, Object> config, List<Map<String, Object>> layers) {
        return manifest(OCI_MANIFEST, config, layers);
    }

    public static Map<String, Object> dockerManifest(Map<String, Object> config, List<Map<String, Object>> layers) {
        return manifest(DOCKER_MANIFEST, config, layers);
    }

    private static Map<String, Object> manifest(String mediaType, Map<String, Object> config, List<Map<String, Object>> layers) {
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", mediaType);
        manifest.put("config", config);
        manifest.put("layers", new ArrayList<>(layers));
        return manifest;
    }

    /** An OCI image index (or, with the Docker media types, a manifest list) over the given child descriptors. */
    public static Map<String, Object> index(String mediaType, List<Map<String, Object>> children) {
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", mediaType);
        index.put("manifests", new ArrayList<>(children));
        return index;
    }

    public static Map<String, Object> platform(String os, String architecture) {
        Map<String, Object> platform = new LinkedHashMap<>();
        platform.put("architecture", architecture);
        platform.put("os", os);
        return platform;
    }

    /** A minimal, valid image config for the given architecture (distinct architectures give distinct digests). */
    public static byte[] imageConfig(String architecture) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architecture", architecture);
        config.put("os", "linux");
        config.put("rootfs", Map.of("type", "layers", "diff_ids", List.of()));
        config.put("created", "2026-01-01T00:00:00Z");
        config.put("nonce", Integer.toString(ThreadLocalRandom.current().nextInt(), 36));
        return toJson(config);
    }

    public static byte[] toJson(Object value) {
        return JSON.writeValueAsBytes(value);
    }

    public static JsonNode parse(byte[] json) {
        return JSON.readTree(json);
    }
}
