package io.berth.registry.blob;

import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Buffers of one kind, reused: request bodies pass through a few buffers each, and allocating (and zeroing) them per
 * request cost more CPU than a one-megabyte blob's copies. At most {@code capacity} idle buffers are kept, and at most
 * {@code limit} are lent out at once: many concurrent uploads then wait for buffers, or make do with fewer, instead
 * of exhausting the heap or the direct memory.
 */
public final class BufferPool<B> {
    /** The size of the buffers blob bodies are streamed through. */
    public static final int BODY_SIZE = 256 * 1024;
    /** What {@link #NATIVE} buffers are aligned to: a page, and a multiple of common file system blocks. */
    public static final int ALIGNMENT = 4096;

    /** The arrays blob bodies are streamed through: a third of the heap at most. */
    public static final BufferPool<byte[]> BODIES = new BufferPool<>(() -> new byte[BODY_SIZE], 64,
            (int) Math.max(64, Runtime.getRuntime().maxMemory() / 3 / BODY_SIZE));

    /**
     * Native buffers of the same size, page-aligned, that bodies are written to files from. The JDK writes a heap
     * array through a temporary native buffer that, on a virtual thread, is allocated for each write: fresh memory
     * every time, whose page faults cost more than the copy into it. Each upload being written holds one; as many
     * are kept idle as there are arrays (16 MiB at most), so that busy pushes do not churn native memory, and 32 MiB
     * are lent out at most, a third of the launcher's direct memory.
     */
    public static final BufferPool<ByteBuffer> NATIVE = new BufferPool<>(
            () -> ByteBuffer.allocateDirect(BODY_SIZE + ALIGNMENT).alignedSlice(ALIGNMENT).limit(BODY_SIZE).slice(), 64,
            128);

    private final Supplier<B> factory;
    private final int capacity;
    private final ConcurrentLinkedQueue<B> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger idleCount = new AtomicInteger();
    private final int limit;
    private final Semaphore lendable;

    public BufferPool(Supplier<B> factory, int capacity, int limit) {
        this.factory = factory;
        this.capacity = capacity;
        this.limit = limit;
        this.lendable = new Semaphore(limit);
    }

    /** How many buffers are lent out now. */
    int lent() {
        return limit - lendable.availablePermits();
    }

    /**
     * An idle buffer, or a new one, waiting while {@code limit} buffers are lent out. Its contents are whatever its
     * last user left.
     */
    public B take() throws InterruptedIOException {
        try {
            lendable.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a buffer");
        }
        try {
            return idleOrNew();
        } catch (RuntimeException | Error e) {
            lendable.release();
            throw e;
        }
    }

    /** {@code count} buffers if that many can be lent out now, else none. */
    public List<B> tryTake(int count) {
        if (!lendable.tryAcquire(count)) {
            return List.of();
        }
        List<B> buffers = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                buffers.add(idleOrNew());
            }
        } catch (RuntimeException | Error e) {
            lendable.release(count - buffers.size());
            buffers.forEach(this::give);
            throw e;
        }
        return buffers;
    }

    private B idleOrNew() {
        B buffer = idle.poll();
        if (buffer == null) {
            return factory.get();
        }
        idleCount.decrementAndGet();
        return buffer;
    }

    /** Returns a buffer taken from this pool, once; its taker must not use it afterwards. */
    public void give(B buffer) {
        if (idleCount.incrementAndGet() <= capacity) {
            idle.offer(buffer);
        } else {
            idleCount.decrementAndGet();
        }
        lendable.release(); // last: a taker it wakes finds the buffer idle instead of making another
    }
}
