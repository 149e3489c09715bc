package io.berth.server.clients;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The archive {@code docker save} writes and {@code docker load} and {@code ctr images import} read: a tar of
 * {@code manifest.json} (config file, tags and layer files of each image), the image config, and one uncompressed
 * {@code layer.tar} per layer. Tests make images for any platform with it, without a build.
 */
final class DockerArchive {
    private DockerArchive() {
    }

    /** An archive of one image for {@code os}/{@code architecture} with one layer holding {@code files}. */
    static byte[] image(String tag, String os, String architecture, Map<String, byte[]> files) {
        byte[] layer = Tarballs.tar(files);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architecture", architecture);
        config.put("os", os);
        config.put("config", Map.of("Env", List.of("PATH=/usr/bin:/bin")));
        config.put("rootfs", Map.of("type", "layers", "diff_ids", List.of(Sha256.of(layer))));
        byte[] configJson = OciLayout.JSON.writeValueAsBytes(config);
        String configFile = Sha256.encoded(Sha256.of(configJson)) + ".json";
        String layerFile = Sha256.encoded(Sha256.of(layer)) + "/layer.tar";
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("Config", configFile);
        manifest.put("RepoTags", List.of(tag));
        manifest.put("Layers", List.of(layerFile));
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("manifest.json", OciLayout.JSON.writeValueAsBytes(List.of(manifest)));
        entries.put(configFile, configJson);
        entries.put(layerFile, layer);
        return Tarballs.tar(entries);
    }

    /** The image id an engine gives the image of {@link #image}: the digest of its config. */
    static String imageId(byte[] archive) {
        Map<String, byte[]> entries = Tarballs.regularFiles(archive);
        JsonNode manifest = OciLayout.JSON.readTree(entries.get("manifest.json")).get(0);
        return Sha256.of(entries.get(manifest.path("Config").asString()));
    }

    /** The regular files of all layers of the first image in an archive, later layers over earlier ones. */
    static Map<String, byte[]> files(byte[] archive) {
        Map<String, byte[]> entries = Tarballs.regularFiles(archive);
        JsonNode manifest = OciLayout.JSON.readTree(entries.get("manifest.json")).get(0);
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (JsonNode layer : manifest.path("Layers")) {
            byte[] tar = entries.get(layer.asString());
            if (tar == null) {
                throw new AssertionError("layer " + layer.asString() + " missing from the archive");
            }
            files.putAll(Tarballs.regularFiles(tar));
        }
        return files;
    }
}
