package io.berth.registry.blob;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Byte arrays of one size, reused: request bodies pass through a few buffers each, and allocating (and zeroing)
 * them per request cost more CPU than a one-megabyte blob's copies. At most {@code capacity} idle arrays are kept.
 */
public final class BufferPool {
    /** The buffers blob bodies are streamed through. */
    public static final BufferPool BODIES = new BufferPool(256 * 1024, 64);

    private final int size;
    private final int capacity;
    private final ConcurrentLinkedQueue<byte[]> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger idleCount = new AtomicInteger();

    public BufferPool(int size, int capacity) {
        this.size = size;
        this.capacity = capacity;
    }

    /** An idle array, or a new one. Its contents are whatever its last user left. */
    public byte[] take() {
        byte[] buffer = idle.poll();
        if (buffer == null) {
            return new byte[size];
        }
        idleCount.decrementAndGet();
        return buffer;
    }

    /** Returns an array taken from this pool; its taker must not use it afterwards. */
    public void give(byte[] buffer) {
        if (buffer.length == size && idleCount.incrementAndGet() <= capacity) {
            idle.offer(buffer);
        } else if (buffer.length == size) {
            idleCount.decrementAndGet();
        }
    }
}
