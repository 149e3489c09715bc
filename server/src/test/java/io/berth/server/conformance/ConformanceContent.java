package io.berth.server.conformance;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

/**
 * The content the conformance suite pushes, generated the way its {@code setup.go} does: a unique image config
 * per workflow (a random {@code author}), one gzipped tar layer shared by all workflows, one image manifest per
 * config, a manifest without layers, random blobs for the streamed and chunked uploads, and the referrers set
 * (four artifacts and one artifact index whose {@code subject} is {@code manifests[4]}, plus one artifact whose
 * subject {@code manifests[3]} is never pushed in the discovery workflow).
 *
 * <p>Like the suite, every descriptor carries an extra {@code newUnspecifiedField} member that no spec defines
 * ({@code null}, or base64 bytes on a config descriptor), and config descriptors also embed the config in
 * {@code data}: a registry must store and serve such manifests unchanged.
 */
final class ConformanceContent {
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
    /** The digest of {@code {}} that image-spec fixes for the empty descriptor. */
    static final String EMPTY_JSON_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    /** Workflows that own a config and a manifest: 0 pull, 1 push, 2 discovery, 3 management, 4 referrers subject. */
    private static final int WORKFLOW_CONTENT = 5;
    private static final int RANDOM_BLOB_SIZE = 42;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Bytes with their digest, as the suite's {@code TestBlob}. */
    record Blob(byte[] content, String digest) {
        static Blob of(byte[] content) {
            return new Blob(content, sha256(content));
        }

        static Blob of(String text) {
            return of(text.getBytes(StandardCharsets.UTF_8));
        }

        int size() {
            return content.length;
        }
    }

    /** A blob pushed in two chunks: the first one byte longer than half, as the suite's {@code setupChunkedBlob}. */
    record ChunkedBlob(Blob blob, byte[] chunk1, byte[] chunk2) {
        static ChunkedBlob random(int size) {
            var blob = Blob.of(randomBytes(size));
            int split = size / 2 + 1;
            return new ChunkedBlob(blob,
                    java.util.Arrays.copyOfRange(blob.content(), 0, split),
                    java.util.Arrays.copyOfRange(blob.content(), split, size));
        }

        String chunk1Range() {
            return "0-" + (chunk1.length - 1);
        }

        String chunk2Range() {
            return chunk1.length + "-" + (blob.size() - 1);
        }
    }

    final List<Blob> configs = new ArrayList<>();
    final List<Blob> manifests = new ArrayList<>();
    final Blob layer;
    final Blob emptyLayerManifest;
    final String nonexistentManifest = ".INVALID_MANIFEST_NAME";
    final byte[] invalidManifestContent = "blablabla".getBytes(StandardCharsets.UTF_8);
    final Blob testBlobA;
    /** Replaced when the registry asks for chunks larger than the first one ({@code OCI-Chunk-Min-Length}). */
    ChunkedBlob testBlobB;
    final String dummyDigest = sha256("hello world".getBytes(StandardCharsets.UTF_8));

    final Blob emptyJson = Blob.of("{}");
    final Blob refBlobA = Blob.of("conformance referrer blob A: a config or layer of artifact type A");
    final Blob refBlobB = Blob.of("conformance referrer blob B: a config or layer of artifact type B");
    final String artifactTypeA = "application/vnd.berth.conformance.type-a";
    final String artifactTypeB = "application/vnd.berth.conformance.type-b";
    final String artifactTypeIndex = "application/vnd.berth.conformance.index";
    final String annotationKey = "org.opencontainers.conformance.test";
    /** Referrer digest to the value of its {@link #annotationKey} annotation. */
    final Map<String, String> annotationValues = new LinkedHashMap<>();
    /** Artifact type A carried as the config media type; subject {@code manifests[4]}. */
    final Blob refsManifestAConfigArtifact;
    /** Artifact type B carried as the config media type; subject {@code manifests[4]}. */
    final Blob refsManifestBConfigArtifact;
    /** Artifact type A in {@code artifactType}, empty config; subject {@code manifests[4]}. */
    final Blob refsManifestALayerArtifact;
    /** Artifact type B in {@code artifactType}, empty config; subject {@code manifests[4]}. */
    final Blob refsManifestBLayerArtifact;
    /** Like B-layer but without annotations and with subject {@code manifests[3]}, absent when it is pushed. */
    final Blob refsManifestCLayerArtifact;
    /** An index with {@code artifactType} listing the two A artifacts; subject {@code manifests[4]}. */
    final Blob refsIndexArtifact;

    ConformanceContent() {
        layer = Blob.of(gzippedTar("conformance.txt",
                ("layer content " + randomString(16) + "\n").getBytes(StandardCharsets.UTF_8)));
        for (int i = 0; i < WORKFLOW_CONTENT; i++) {
            var config = new LinkedHashMap<String, Object>();
            config.put("author", randomString(16)); // what makes each config, and so each manifest, unique
            config.put("architecture", "amd64");
            config.put("os", "linux");
            config.put("rootfs", object("type", "layers", "diff_ids", List.of()));
            configs.add(Blob.of(IndentedJson.write(config)));
        }
        for (int i = 0; i < WORKFLOW_CONTENT; i++) {
            manifests.add(Blob.of(IndentedJson.write(imageManifest(OCI_MANIFEST, configs.get(i),
                    List.of(descriptor(OCI_LAYER_GZIP, layer))))));
        }
        // No mediaType member and no layers, as the suite's emptyLayerManifest.
        emptyLayerManifest = Blob.of(IndentedJson.write(imageManifest(null, configs.get(1), List.of())));
        testBlobA = Blob.of(randomBytes(RANDOM_BLOB_SIZE));
        testBlobB = ChunkedBlob.random(RANDOM_BLOB_SIZE);

        var subject = descriptor(OCI_MANIFEST, manifests.get(4));
        refsManifestAConfigArtifact = referrer(null, descriptor(artifactTypeA, refBlobA),
                List.of(descriptor(OCI_EMPTY, emptyJson)), subject, "test config a");
        refsManifestBConfigArtifact = referrer(null, descriptor(artifactTypeB, refBlobB),
                List.of(descriptor(OCI_EMPTY, emptyJson)), subject, "test config b");
        refsManifestALayerArtifact = referrer(artifactTypeA, descriptor(OCI_EMPTY, emptyJson),
                List.of(descriptor(artifactTypeA, refBlobA)), subject, "test layer a");
        refsManifestBLayerArtifact = referrer(artifactTypeB, descriptor(OCI_EMPTY, emptyJson),
                List.of(descriptor(artifactTypeB, refBlobB)), subject, "test layer b");
        refsManifestCLayerArtifact = referrer(artifactTypeB, descriptor(OCI_EMPTY, emptyJson),
                List.of(descriptor(artifactTypeB, refBlobB)), descriptor(OCI_MANIFEST, manifests.get(3)), null);

        var index = new LinkedHashMap<String, Object>();
        index.put("schemaVersion", 2);
        index.put("mediaType", OCI_INDEX);
        index.put("artifactType", artifactTypeIndex);
        index.put("manifests", List.of(descriptor(OCI_MANIFEST, refsManifestAConfigArtifact),
                descriptor(OCI_MANIFEST, refsManifestALayerArtifact)));
        index.put("subject", subject);
        index.put("annotations", new TreeMap<>(Map.of(annotationKey, "test index")));
        refsIndexArtifact = Blob.of(IndentedJson.write(index));
        annotationValues.put(refsIndexArtifact.digest(), "test index");
    }

    private Blob referrer(String artifactType, Map<String, Object> config, List<Map<String, Object>> layers,
                          Map<String, Object> subject, String annotation) {
        var manifest = new LinkedHashMap<String, Object>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", OCI_MANIFEST);
        if (artifactType != null) {
            manifest.put("artifactType", artifactType);
        }
        manifest.put("config", config);
        manifest.put("layers", layers);
        manifest.put("subject", subject);
        if (annotation != null) {
            manifest.put("annotations", new TreeMap<>(Map.of(annotationKey, annotation)));
        }
        var blob = Blob.of(IndentedJson.write(manifest));
        if (annotation != null) {
            annotationValues.put(blob.digest(), annotation);
        }
        return blob;
    }

    private static Map<String, Object> imageManifest(String mediaType, Blob config, List<Map<String, Object>> layers) {
        var configDescriptor = new LinkedHashMap<String, Object>();
        configDescriptor.put("mediaType", OCI_CONFIG);
        configDescriptor.put("digest", config.digest());
        configDescriptor.put("size", config.size());
        configDescriptor.put("data", config.content());
        configDescriptor.put("newUnspecifiedField", "hello world".getBytes(StandardCharsets.UTF_8));
        var manifest = new LinkedHashMap<String, Object>();
        manifest.put("schemaVersion", 2);
        if (mediaType != null) {
            manifest.put("mediaType", mediaType);
        }
        manifest.put("config", configDescriptor);
        manifest.put("layers", layers);
        return manifest;
    }

    private static Map<String, Object> descriptor(String mediaType, Blob blob) {
        var descriptor = new LinkedHashMap<String, Object>();
        descriptor.put("mediaType", mediaType);
        descriptor.put("digest", blob.digest());
        descriptor.put("size", blob.size());
        descriptor.put("newUnspecifiedField", null);
        return descriptor;
    }

    private static Map<String, Object> object(Object... keysAndValues) {
        var map = new LinkedHashMap<String, Object>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    static String sha256(byte[] content) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] randomBytes(int size) {
        var bytes = new byte[size];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    static String randomString(int length) {
        var letters = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-";
        var out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append(letters.charAt(RANDOM.nextInt(letters.length())));
        }
        return out.toString();
    }

    /** A gzipped POSIX (ustar) archive holding one regular file: a real layer, like the suite's. */
    static byte[] gzippedTar(String fileName, byte[] fileContent) {
        var header = new byte[512];
        putAscii(header, 0, fileName);
        putAscii(header, 100, "0000644\0");
        putAscii(header, 108, "0000000\0");
        putAscii(header, 116, "0000000\0");
        putAscii(header, 124, String.format("%011o\0", fileContent.length));
        putAscii(header, 136, String.format("%011o\0", 1_700_000_000L));
        putAscii(header, 148, "        "); // checksum counts as spaces while it is computed
        header[156] = '0';
        putAscii(header, 257, "ustar\0");
        putAscii(header, 263, "00");
        int checksum = 0;
        for (byte b : header) {
            checksum += b & 0xff;
        }
        putAscii(header, 148, String.format("%06o\0 ", checksum));
        var tar = new ByteArrayOutputStream();
        tar.writeBytes(header);
        tar.writeBytes(fileContent);
        tar.writeBytes(new byte[(512 - fileContent.length % 512) % 512]);
        tar.writeBytes(new byte[1024]); // end-of-archive: two zero blocks
        var gzipped = new ByteArrayOutputStream();
        try (var gzip = new GZIPOutputStream(gzipped)) {
            gzip.write(tar.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return gzipped.toByteArray();
    }

    private static void putAscii(byte[] target, int offset, String text) {
        var bytes = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, target, offset, bytes.length);
    }
}
