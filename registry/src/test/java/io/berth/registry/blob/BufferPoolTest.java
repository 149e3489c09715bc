package io.berth.registry.blob;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BufferPoolTest {

    @Test
    void reusesReturnedArraysUpToItsCapacity() {
        BufferPool pool = new BufferPool(16, 2);
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
    void ignoresArraysOfAnotherSize() {
        BufferPool pool = new BufferPool(16, 2);
        pool.give(new byte[8]);
        assertThat(pool.take()).hasSize(16);
    }
}
