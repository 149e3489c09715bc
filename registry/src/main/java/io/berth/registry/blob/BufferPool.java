package io.berth.registry.blob;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Buffers of one kind, reused: request bodies pass through a few buffers each, and allocating (and zeroing) them per
 * request cost more CPU than a one-megabyte blob's copies. At most {@code capacity} idle buffers are kept.
 */
public final class BufferPool<B> {
    /** The size of the buffers blob bodies are streamed through. */
    public static final int BODY_SIZE = 256 * 1024;
    /** What {@link #NATIVE} buffers are aligned to: a page, and a multiple of common file system blocks. */
    public static final int ALIGNMENT = 4096;

    /** The arrays blob bodies are streamed through. */
    public static final BufferPool<byte[]> BODIES = new BufferPool<>(() -> new byte[BODY_SIZE], 64);

    /**
     * Native buffers of the same size, page-aligned, that bodies are written to files from. The JDK writes a heap
     * array through a temporary native buffer that, on a virtual thread, is allocated for each write: fresh memory
     * every time, whose page faults cost more than the copy into it. Each upload being written holds one; as many
     * are kept idle as there are arrays (16 MiB at most), so that busy pushes do not churn native memory.
     */
    public static final BufferPool<ByteBuffer> NATIVE = new BufferPool<>(
            () -> ByteBuffer.allocateDirect(BODY_SIZE + ALIGNMENT).alignedSlice(ALIGNMENT).limit(BODY_SIZE).slice(), 64);

    private final Supplier<B> factory;
    private final int capacity;
    private final ConcurrentLinkedQueue<B> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger idleCount = new AtomicInteger();

    public BufferPool(Supplier<B> factory, int capacity) {
        this.factory = factory;
        this.capacity = capacity;
    }

    /** An idle buffer, or a new one. Its contents are whatever its last user left. */
    public B take() {
        B buffer = idle.poll();
        if (buffer == null) {
            return factory.get();
        }
        idleCount.decrementAndGet();
        return buffer;
    }

    /** Returns a buffer taken from this pool; its taker must not use it afterwards. */
    public void give(B buffer) {
        if (idleCount.incrementAndGet() <= capacity) {
            idle.offer(buffer);
        } else {
            idleCount.decrementAndGet();
        }
    }
}
