package io.berth.registry.blob;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Feeds buffers of a stream, in order, to one or more consumers: on the caller's thread for the first
 * {@code inlineBytes}, then each consumer on a thread of its own, so that the caller fills the next buffer while the
 * consumers work on the last ones, side by side. Consumers share each buffer, read-only; a few pooled buffers
 * circulate, and a buffer is filled again once every consumer is done with it. When a consumer falls behind,
 * {@link #buffer()} waits.
 *
 * <p>The buffers come from a {@link BufferPool}, which lends a bounded number: a relay waits for its first buffer,
 * and starts the consumers' threads only once the buffers for them can be lent; until then its caller goes on
 * consuming. Many concurrent uploads thus slow down instead of exhausting the heap.
 *
 * <p>A caller about to wait a while for its source can {@link #pause(int)}: the buffers go back to the pool until it
 * has bytes again, so that streams whose sources are slow do not keep others waiting for buffers.
 *
 * <p>Not thread-safe: one caller fills and sends. Every relay ends with {@link #finish()} or {@link #abandon()}.
 */
public final class BufferRelay {
    /** Takes one buffer's bytes, without changing them; the buffer is reused once it returns. */
    public interface Consumer {
        void accept(byte[] bytes, int length) throws IOException;
    }

    /** A buffer sent, and how many consumers have yet to take it. */
    private static final class Chunk {
        final byte[] bytes;
        final int length;
        final AtomicInteger holders;

        Chunk(byte[] bytes, int length, int holders) {
            this.bytes = bytes;
            this.length = length;
            this.holders = new AtomicInteger(holders);
        }
    }

    private static final Chunk END = new Chunk(new byte[0], -1, 0);

    private final BufferPool<byte[]> pool;

    private final String threadName;
    private final int buffers;
    private final Consumer[] consumers;
    private long inline;
    private byte[] current;
    private BlockingQueue<byte[]> free;
    private List<BlockingQueue<Chunk>> pending;
    private final List<byte[]> taken = new ArrayList<>();
    private List<Thread> threads;
    private volatile IOException failure;

    /**
     * @param buffers how many buffers circulate once the consumers have threads: the most the caller can be ahead
     */
    public BufferRelay(String threadName, long inlineBytes, int buffers, Consumer... consumers) {
        this(BufferPool.BODIES, threadName, inlineBytes, buffers, consumers);
    }

    BufferRelay(BufferPool<byte[]> pool, String threadName, long inlineBytes, int buffers, Consumer... consumers) {
        this.pool = pool;
        this.threadName = threadName;
        this.inline = inlineBytes;
        this.buffers = buffers;
        this.consumers = consumers.clone();
    }

    /** The buffer to fill next; waits while every buffer is with a consumer. */
    public byte[] buffer() throws IOException {
        if (current == null) {
            if (threads == null) {
                current = pool.take();
                taken.add(current);
            } else {
                current = await(() -> free.take());
            }
        }
        return current;
    }

    /** Hands the buffer last returned by {@link #buffer()} over, holding {@code length} bytes. */
    public void send(int length) throws IOException {
        if (current == null) {
            throw new IllegalStateException("no buffer to send");
        }
        if (threads == null && (inline > 0 || !start())) {
            consumeHere(length);
            return; // the same buffer is filled again
        }
        Chunk chunk = new Chunk(current, length, consumers.length);
        current = null;
        for (BlockingQueue<Chunk> queue : pending) {
            await(() -> {
                queue.put(chunk);
                return null;
            });
        }
    }

    /** Waits until the consumers have taken every buffer sent, then returns the buffers; rethrows a failure. */
    public void finish() throws IOException {
        endThreads();
        release();
        IOException failed = failure;
        if (failed != null) {
            throw failed;
        }
    }

    /**
     * Hands over the buffer being filled, holding {@code length} bytes (0 for none), waits until the consumers have
     * taken every buffer sent, and returns all buffers to the pool. For a caller about to wait a while for its
     * source. {@link #buffer()} goes on as before, and takes buffers anew.
     */
    public void pause(int length) throws IOException {
        if (length > 0 && threads == null) {
            consumeHere(length); // no threads to start for a last buffer
        } else if (length > 0) {
            send(length);
        }
        endThreads();
        threads = null;
        IOException failed = failure;
        if (failed != null) {
            throw failed;
        }
        release();
    }

    private void consumeHere(int length) throws IOException {
        if (current == null) {
            throw new IllegalStateException("no buffer to send");
        }
        for (Consumer consumer : consumers) {
            consumer.accept(current, length);
        }
        inline -= length;
    }

    /** Waits until the consumers' threads, if any, have taken every buffer sent and ended. */
    private void endThreads() throws IOException {
        if (threads == null) {
            return;
        }
        for (BlockingQueue<Chunk> queue : pending) {
            await(() -> {
                queue.put(END);
                return null;
            });
        }
        try {
            for (Thread thread : threads) {
                thread.join();
            }
        } catch (InterruptedException e) {
            abandon();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while " + threadName + " finished");
        }
    }

    /** Stops the consumers, waiting until they have, and returns the buffers: nothing is consumed after this returns. */
    public void abandon() {
        if (threads != null) {
            threads.forEach(Thread::interrupt);
            threads.forEach(BufferRelay::joinUninterruptibly);
        }
        release();
    }

    /** Waits for a thread to end even when interrupted meanwhile, and then keeps the interrupt. */
    public static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void release() {
        taken.forEach(pool::give);
        taken.clear();
        current = null;
    }

    /** Starts the consumers' threads, unless the pool cannot lend the buffers for them now. */
    private boolean start() {
        List<byte[]> more = pool.tryTake(buffers - 1); // the one being sent is the last
        if (more.isEmpty() && buffers > 1) {
            return false;
        }
        taken.addAll(more);
        free = new ArrayBlockingQueue<>(buffers);
        free.addAll(more);
        pending = new ArrayList<>();
        threads = new ArrayList<>();
        for (Consumer consumer : consumers) {
            BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(buffers + 1);
            pending.add(queue);
            threads.add(Thread.ofVirtual().name(threadName).start(() -> consumeUntilEnd(consumer, queue)));
        }
        return true;
    }

    private void consumeUntilEnd(Consumer consumer, BlockingQueue<Chunk> queue) {
        try {
            for (Chunk chunk = queue.take(); chunk != END; chunk = queue.take()) {
                if (failure == null) {
                    try {
                        consumer.accept(chunk.bytes, chunk.length);
                    } catch (IOException e) {
                        failure = e;
                    } catch (RuntimeException | Error e) {
                        // the caller must learn of it and never wait for a buffer this thread will not return
                        failure = new IOException(threadName + " failed", e);
                    }
                }
                if (chunk.holders.decrementAndGet() == 0) {
                    free.put(chunk.bytes); // after a failure, buffers still come back: the caller is never stuck
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private interface Blocking<T> {
        T run() throws InterruptedException;
    }

    private <T> T await(Blocking<T> step) throws IOException {
        IOException failed = failure;
        if (failed != null) {
            throw failed;
        }
        try {
            return step.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while handing buffers to " + threadName);
        }
    }
}
