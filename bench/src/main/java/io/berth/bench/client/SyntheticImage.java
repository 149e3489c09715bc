package io.berth.bench.client;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * An image made of random layers, a small unique config and the manifest that lists them.
 *
 * @param repository    where it is pushed
 * @param tag           the tag its manifest is pushed under
 * @param chunked       whether its blobs are uploaded in chunks (else monolithically)
 * @param manifestDigest the sha256 of {@code manifest}
 */
public record SyntheticImage(String repository, String tag, boolean chunked, Blob config, List<Blob> layers,
                             byte[] manifest, String manifestDigest) {

    public static final String LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String CONFIG_TYPE = "application/vnd.oci.image.config.v1+json";

    /** Builds image {@code index}; its content depends only on {@code seed} and {@code index}. */
    public static SyntheticImage create(int index, String repository, int layerCount, int layerSize, long seed) {
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + index);
        List<Blob> layers = new ArrayList<>();
        for (int i = 0; i < layerCount; i++) {
            layers.add(Blob.random(LAYER_TYPE, layerSize, random));
        }
        StringBuilder diffIds = new StringBuilder();
        for (Blob layer : layers) {
            diffIds.append(diffIds.isEmpty() ? "" : ",").append('"').append(layer.digest()).append('"');
        }
        String config = """
                {"architecture":"amd64","os":"linux","config":{"Env":["BENCH_IMAGE=%d","BENCH_SEED=%d"]},\
                "rootfs":{"type":"layers","diff_ids":[%s]}}""".formatted(index, seed, diffIds);
        Blob configBlob = Blob.of(CONFIG_TYPE, config.getBytes(StandardCharsets.UTF_8));
        byte[] manifest = Manifests.image(configBlob, layers);
        return new SyntheticImage(repository, "v" + index, index % 2 == 0, configBlob, layers, manifest,
                Sha256.of(manifest));
    }

    /** The layers, then the config: the order a client uploads them. */
    public List<Blob> blobs() {
        List<Blob> blobs = new ArrayList<>(layers);
        blobs.add(config);
        return blobs;
    }

    public long totalBytes() {
        return blobs().stream().mapToLong(Blob::size).sum() + manifest.length;
    }
}
