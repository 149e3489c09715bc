package io.berth.registry.blob;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class BufferPoolTest {

    @Test
    void reusesReturnedBuffersUpToItsCapacity() throws Exception {
        BufferPool<byte[]> pool = new BufferPool<>(() -> new byte[16], 2, 10);
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
    @Timeout(10)
    void lendsNoMoreThanItsLimitAtOnce() throws Exception {
        BufferPool<byte[]> pool = new BufferPool<>(() -> new byte[16], 2, 3);
        byte[] a = pool.take();
        List<byte[]> two = pool.tryTake(2);
        assertThat(two).hasSize(2);
        assertThat(pool.tryTake(1)).as("all three lent").isEmpty();

        CompletableFuture<byte[]> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return pool.take();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, runnable -> Thread.ofVirtual().start(runnable));
        Thread.sleep(200);
        assertThat(waiting).as("a take() beyond the limit waits").isNotDone();
        pool.give(a);
        assertThat(waiting.get()).isSameAs(a);

        two.forEach(pool::give);
        assertThat(pool.tryTake(2)).hasSize(2);
    }

    @Test
    void nativeBuffersHoldABodyBufferAndArePageAligned() throws Exception {
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
