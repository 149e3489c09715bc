package io.berth.bench.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

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
        return of(index, repository, seed, layers, layers.stream().map(Blob::digest).toList());
    }

    /**
     * Image {@code index} whose layers are real gzip streams of {@code payloadSize} random bytes each, stored rather
     * than compressed: as incompressible as random bytes, and what a client takes for the compressed layers their
     * media type says. skopeo gzips a layer to a registry when its bytes do not start as gzip, which would make it
     * compress (and rewrite the manifest of) the plain random layers of {@link #create}.
     */
    public static SyntheticImage createGzipped(int index, String repository, int layerCount, int payloadSize,
                                               long seed) {
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + index);
        List<Blob> layers = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        for (int i = 0; i < layerCount; i++) {
            byte[] payload = new byte[payloadSize];
            random.nextBytes(payload);
            diffIds.add(Sha256.of(payload));
            ByteArrayOutputStream gzipped = new ByteArrayOutputStream(payloadSize + payloadSize / 1000 + 64);
            try (GZIPOutputStream out = new GZIPOutputStream(gzipped, 1 << 16) {
                {
                    def.setLevel(Deflater.NO_COMPRESSION);
                }
            }) {
                out.write(payload);
            } catch (IOException e) {
                throw new UncheckedIOException(e); // not from a ByteArrayOutputStream
            }
            layers.add(Blob.of(LAYER_TYPE, gzipped.toByteArray()));
        }
        return of(index, repository, seed, layers, diffIds);
    }

    private static SyntheticImage of(int index, String repository, long seed, List<Blob> layers,
                                     List<String> diffIdList) {
        StringBuilder diffIds = new StringBuilder();
        for (String diffId : diffIdList) {
            diffIds.append(diffIds.isEmpty() ? "" : ",").append('"').append(diffId).append('"');
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
