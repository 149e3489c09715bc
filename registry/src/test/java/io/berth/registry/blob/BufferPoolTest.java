package io.berth.registry.blob;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class BufferPoolTest {

    @Test
    void reusesReturnedBuffersUpToItsCapacity() {
        BufferPool<byte[]> pool = new BufferPool<>(() -> new byte[16], 2);
        byte[] a = pool.take();
        byte[] b = pool.take();
        byte[] c = pool.take();
        assertThat(a).hasSize(16).isNotSameAs(b);
        pool.give(a);
        pool.give(b);
        pool.give(c); // over capacity: dropped
        assertThat(pool.take()).isSameAs(a);
        assertThat(pool.take()).isSameAs(b);
        assertThat(pool.take()).isNotSameAs(a).isNotSameAs(b).isNotSameAs(c);
    }

    @Test
    void nativeBuffersHoldABodyBufferAndArePageAligned() {
        ByteBuffer buffer = BufferPool.NATIVE.take();
        try {
            assertThat(buffer.isDirect()).isTrue();
            assertThat(buffer.capacity()).isEqualTo(BufferPool.BODY_SIZE);
            assertThat(buffer.alignmentOffset(0, BufferPool.ALIGNMENT)).isZero();
        } finally {
            BufferPool.NATIVE.give(buffer);
        }
    }
}
