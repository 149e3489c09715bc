package io.berth.bench.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class SyntheticImageTest {

    /** skopeo copies a layer as it is only when its bytes are gzip; the config must name the uncompressed digests. */
    @Test
    void gzippedLayersAreStoredGzipOfRandomBytesAndTheConfigNamesTheirContent() throws Exception {
        SyntheticImage image = SyntheticImage.createGzipped(3, "bench/x", 2, 300_000, 42);

        String config = new String(image.config().content(), StandardCharsets.UTF_8);
        for (Blob layer : image.layers()) {
            assertThat(layer.content()[0]).isEqualTo((byte) 0x1f);
            assertThat(layer.content()[1]).isEqualTo((byte) 0x8b);
            assertThat(layer.size()).isBetween(300_000, 301_000); // stored, not compressed
            byte[] payload;
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(layer.content()))) {
                payload = in.readAllBytes();
            }
            assertThat(payload).hasSize(300_000);
            assertThat(config).contains(Sha256.of(payload));
        }
        assertThat(image.layers().get(0).digest()).isNotEqualTo(image.layers().get(1).digest());
        assertThat(SyntheticImage.createGzipped(3, "bench/x", 2, 300_000, 42).manifestDigest())
                .isEqualTo(image.manifestDigest());
    }
}
