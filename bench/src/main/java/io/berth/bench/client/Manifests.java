package io.berth.bench.client;

import java.util.List;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Writes the OCI image manifests the benchmark pushes. */
public final class Manifests {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Manifests() {
    }

    /** An image manifest: {@code config} plus {@code layers}. */
    public static byte[] image(Blob config, List<Blob> layers) {
        ObjectNode manifest = header();
        manifest.set("config", descriptor(config.mediaType(), config.digest(), config.size()));
        ArrayNode array = manifest.putArray("layers");
        layers.forEach(layer -> array.add(descriptor(layer.mediaType(), layer.digest(), layer.size())));
        return JSON.writeValueAsBytes(manifest);
    }

    /** An image manifest of {@code config} and one layer known by its digest and size only (a blob pushed before). */
    public static byte[] image(Blob config, String layerType, String layerDigest, long layerSize) {
        ObjectNode manifest = header();
        manifest.set("config", descriptor(config.mediaType(), config.digest(), config.size()));
        manifest.putArray("layers").add(descriptor(layerType, layerDigest, layerSize));
        return JSON.writeValueAsBytes(manifest);
    }

    /**
     * An artifact manifest attached to {@code subject} (a signature, an SBOM...): empty config, one layer, and the
     * {@code artifactType} the referrers API filters on.
     */
    public static byte[] referrer(String artifactType, Blob payload, String subjectDigest, int subjectSize) {
        ObjectNode manifest = header();
        manifest.put("artifactType", artifactType);
        manifest.set("config", descriptor(Blob.EMPTY_CONFIG.mediaType(), Blob.EMPTY_CONFIG.digest(),
                Blob.EMPTY_CONFIG.size()));
        manifest.putArray("layers").add(descriptor(payload.mediaType(), payload.digest(), payload.size()));
        manifest.set("subject", descriptor(RegistryClient.OCI_MANIFEST, subjectDigest, subjectSize));
        manifest.putObject("annotations").put("org.opencontainers.image.created", "2026-01-01T00:00:00Z");
        return JSON.writeValueAsBytes(manifest);
    }

    private static ObjectNode header() {
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", RegistryClient.OCI_MANIFEST);
        return manifest;
    }

    private static ObjectNode descriptor(String mediaType, String digest, long size) {
        ObjectNode descriptor = JSON.createObjectNode();
        descriptor.put("mediaType", mediaType);
        descriptor.put("digest", digest);
        descriptor.put("size", size);
        return descriptor;
    }
}
