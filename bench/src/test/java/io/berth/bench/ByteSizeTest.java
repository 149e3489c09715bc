package io.berth.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class ByteSizeTest {
    private final ByteSize size = new ByteSize();

    @Test
    void readsPlainBytesAndBinarySuffixes() {
        assertThat(size.convert("4096")).isEqualTo(4096L);
        assertThat(size.convert("512k")).isEqualTo(512L * 1024);
        assertThat(size.convert("64MiB")).isEqualTo(64L * 1024 * 1024);
        assertThat(size.convert("1G")).isEqualTo(1L << 30);
    }

    @Test
    void writesTheShortestFormItReadsBack() {
        for (long bytes : new long[] {1536, 1 << 20, 64L << 20, 1L << 30, 3L << 29}) {
            assertThat(size.convert(ByteSize.format(bytes))).isEqualTo(bytes);
        }
        assertThat(ByteSize.format(1L << 30)).isEqualTo("1g");
        assertThat(ByteSize.format(3L << 29)).isEqualTo("1536m");
    }

    @Test
    void rejectsWhatIsNoSize() {
        assertThatThrownBy(() -> size.convert("lots")).isInstanceOf(TypeConversionException.class);
    }
}
