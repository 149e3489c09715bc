package io.berth.client.testing;

import io.berth.client.ArtifactFile;
import io.berth.client.Artifacts;
import io.berth.client.BlobSource;
import io.berth.client.ProgressListener;
import io.berth.client.Repository;
import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.MediaTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Images built by hand and pushed with the client: single-platform manifests and indexes over them. */
public final class TestImages {
    public static final String CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String SIGNATURE = "application/vnd.example.signature";
    public static final String SBOM = "application/spdx+json";

    private TestImages() {
    }

    /** A manifest and where it is: its descriptor, and the platform it is for (null for none). */
    public record Image(Descriptor manifest, String platform, List<Descriptor> blobs) {
    }

    public static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** Pushes a blob of these bytes unless the repository holds it. */
    public static Descriptor blob(Repository repository, byte[] bytes, String mediaType) throws IOException {
        Descriptor blob = new Descriptor(mediaType, Digest.sha256(bytes), bytes.length);
        if (!repository.hasBlob(blob.digest())) {
            repository.pushBlob(blob, BlobSource.of(bytes), ProgressListener.NONE);
        }
        return blob;
    }

    /**
     * Pushes an OCI image for {@code platform} (os/arch[/variant]) by digest: a config naming the platform and the
     * given layers, each {@code layerSize} random bytes seeded from {@code seeds}.
     */
    public static Image image(Repository repository, String platform, int layerSize, long... seeds)
            throws IOException {
        String[] parts = platform.split("/");
        byte[] configBytes = ("{\"architecture\":\"" + parts[1] + "\",\"os\":\"" + parts[0] + "\""
                + (parts.length > 2 ? ",\"variant\":\"" + parts[2] + "\"" : "")
                + ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}").getBytes(StandardCharsets.UTF_8);
        Descriptor config = blob(repository, configBytes, CONFIG);
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
                + "\",\"config\":" + json(config) + ",\"layers\":[");
        List<Descriptor> blobs = new java.util.ArrayList<>(List.of(config));
        for (int i = 0; i < seeds.length; i++) {
            Descriptor layer = blob(repository, random(layerSize, seeds[i]), LAYER);
            blobs.add(layer);
            json.append(i == 0 ? "" : ",").append(json(layer));
        }
        byte[] manifest = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        Descriptor pushed = repository.pushManifest(Digest.sha256(manifest).toString(), manifest,
                MediaTypes.OCI_MANIFEST).descriptor();
        return new Image(pushed, platform, blobs);
    }

    /** Pushes an OCI index over these images under {@code tag}, each entry naming its platform. */
    public static Descriptor index(Repository repository, String tag, List<Image> images) throws IOException {
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX
                + "\",\"manifests\":[");
        for (int i = 0; i < images.size(); i++) {
            Image image = images.get(i);
            String[] parts = image.platform().split("/");
            String entry = json(image.manifest());
            json.append(i == 0 ? "" : ",").append(entry, 0, entry.length() - 1)
                    .append(",\"platform\":{\"architecture\":\"").append(parts[1]).append("\",\"os\":\"")
                    .append(parts[0]).append('"').append(parts.length > 2 ? ",\"variant\":\"" + parts[2] + "\"" : "")
                    .append("}}");
        }
        byte[] index = json.append("],\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + tag + "\"}}")
                .toString().getBytes(StandardCharsets.UTF_8);
        return repository.pushManifest(tag, index, MediaTypes.OCI_INDEX).descriptor();
    }

    /**
     * A two-platform index ({@code linux/amd64}, {@code linux/arm64/v8}, two 300 kB layers each) with a signature
     * and an SBOM on the index, a signature on the SBOM, and a signature on the amd64 child.
     */
    public record ReferredIndex(Descriptor index, Image amd64, Image arm64, Descriptor signature, Descriptor sbom,
                                Descriptor sbomSignature, Descriptor childSignature) {
        /** The artifacts, in the order they were attached. */
        public List<Descriptor> referrers() {
            return List.of(signature, sbom, sbomSignature, childSignature);
        }
    }

    public static ReferredIndex referredIndex(Repository repository, String tag, long seed) throws IOException {
        Image amd64 = image(repository, "linux/amd64", 300_000, seed, seed + 1);
        Image arm64 = image(repository, "linux/arm64/v8", 300_000, seed + 2, seed + 3);
        Descriptor index = index(repository, tag, List.of(amd64, arm64));
        Descriptor signature = attach(repository, index, SIGNATURE, seed + 4);
        Descriptor sbom = attach(repository, index, SBOM, seed + 5);
        Descriptor sbomSignature = attach(repository, sbom, SIGNATURE, seed + 6);
        Descriptor childSignature = attach(repository, amd64.manifest(), SIGNATURE, seed + 7);
        return new ReferredIndex(index, amd64, arm64, signature, sbom, sbomSignature, childSignature);
    }

    /** Attaches an artifact of one small random file, with a fixed creation time so that its digest is stable. */
    public static Descriptor attach(Repository repository, Descriptor subject, String type, long seed)
            throws IOException {
        return Artifacts.attach(repository, subject, type,
                List.of(ArtifactFile.of("payload", "application/octet-stream", random(200, seed))),
                Map.of(Artifacts.CREATED, "2026-01-01T00:00:00Z"), ProgressListener.NONE).descriptor();
    }

    public static String json(Descriptor d) {
        return "{\"mediaType\":\"" + d.mediaType() + "\",\"digest\":\"" + d.digest() + "\",\"size\":" + d.size()
                + "}";
    }
}
