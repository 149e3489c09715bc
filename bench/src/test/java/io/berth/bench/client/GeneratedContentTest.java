package io.berth.bench.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GeneratedContentTest {
    private static final int MIB = 1024 * 1024;

    private static byte[] bytes(Iterable<byte[]> pieces) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        pieces.forEach(out::writeBytes);
        return out.toByteArray();
    }

    @Test
    void rangesAtAnyOffsetConcatenateToTheWholeContentAndItsDigest() {
        GeneratedContent content = new GeneratedContent(3L * MIB + 123, 7);
        byte[] whole = bytes(content.range(0, content.size()));

        ByteArrayOutputStream chunked = new ByteArrayOutputStream();
        long chunk = MIB / 3 + 5; // never aligned with the 1 MiB blocks
        for (long offset = 0; offset < content.size(); offset += chunk) {
            chunked.writeBytes(bytes(content.range(offset, Math.min(chunk, content.size() - offset))));
        }

        assertThat(whole).hasSize(3 * MIB + 123);
        assertThat(chunked.toByteArray()).isEqualTo(whole);
        assertThat(content.digest()).isEqualTo(Sha256.of(whole));
    }

    @Test
    void everyBlockDiffersSoNoChunkRepeats() {
        GeneratedContent content = new GeneratedContent(2L * MIB, 7);
        byte[] whole = bytes(content.range(0, content.size()));

        assertThat(Sha256.of(Arrays.copyOfRange(whole, 0, MIB)))
                .isNotEqualTo(Sha256.of(Arrays.copyOfRange(whole, MIB, 2 * MIB)));
    }

    @Test
    void anotherSeedIsOtherContent() {
        assertThat(new GeneratedContent(MIB, 1).digest()).isNotEqualTo(new GeneratedContent(MIB, 2).digest());
    }
}
