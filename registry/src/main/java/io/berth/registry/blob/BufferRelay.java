package io.berth.registry.blob;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Feeds buffers of a stream, in order, to a consumer: on the caller's thread for the first {@code inlineBytes}, then
 * on a thread of its own, so that the caller fills the next buffer while the consumer works on the last. A few
 * pooled buffers circulate between the two; when the consumer falls behind, {@link #buffer()} waits.
 *
 * <p>Not thread-safe: one caller fills and sends. Every relay ends with {@link #finish()} or {@link #abandon()}.
 */
public final class BufferRelay {
    /** Takes one buffer's bytes; the buffer is reused once it returns. */
    public interface Consumer {
        void accept(byte[] bytes, int length) throws IOException;
    }

    private record Chunk(byte[] bytes, int length) {
    }

    private static final Chunk END = new Chunk(new byte[0], -1);
    private static final BufferPool<byte[]> POOL = BufferPool.BODIES;

    private final String threadName;
    private final int buffers;
    private final Consumer consumer;
    private long inline;
    private byte[] current;
    private BlockingQueue<byte[]> free;
    private BlockingQueue<Chunk> pending;
    private final List<byte[]> taken = new ArrayList<>();
    private Thread thread;
    private volatile IOException failure;

    /**
     * @param buffers how many buffers circulate once the consumer has a thread: the most the caller can be ahead
     */
    public BufferRelay(String threadName, long inlineBytes, int buffers, Consumer consumer) {
        this.threadName = threadName;
        this.inline = inlineBytes;
        this.buffers = buffers;
        this.consumer = consumer;
    }

    /** The buffer to fill next; waits while every buffer is with the consumer. */
    public byte[] buffer() throws IOException {
        if (current == null) {
            if (thread == null) {
                current = POOL.take();
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
        if (thread == null && inline > 0) {
            consumer.accept(current, length);
            inline -= length;
            return; // the same buffer is filled again
        }
        if (thread == null) {
            start();
        }
        Chunk chunk = new Chunk(current, length);
        current = null;
        await(() -> {
            pending.put(chunk);
            return null;
        });
    }

    /** Waits until the consumer has taken every buffer sent, then returns the buffers; rethrows its failure. */
    public void finish() throws IOException {
        if (thread != null) {
            await(() -> {
                pending.put(END);
                return null;
            });
            try {
                thread.join();
            } catch (InterruptedException e) {
                abandon();
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while " + threadName + " finished");
            }
        }
        release();
        IOException failed = failure;
        if (failed != null) {
            throw failed;
        }
    }

    /** Stops the consumer, waiting until it has, and returns the buffers: nothing is consumed after this returns. */
    public void abandon() {
        if (thread != null) {
            thread.interrupt();
            joinUninterruptibly(thread);
        }
        release();
    }

    /** Waits for a thread to end even when interrupted meanwhile, and then keeps the interrupt. */
    static void joinUninterruptibly(Thread thread) {
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
        taken.forEach(POOL::give);
        taken.clear();
        current = null;
    }

    private void start() {
        free = new ArrayBlockingQueue<>(buffers);
        pending = new ArrayBlockingQueue<>(buffers + 1);
        for (int i = 1; i < buffers; i++) { // the one being sent is the last
            byte[] buffer = POOL.take();
            taken.add(buffer);
            free.add(buffer);
        }
        thread = Thread.ofVirtual().name(threadName).start(this::consumeUntilEnd);
    }

    private void consumeUntilEnd() {
        try {
            for (Chunk chunk = pending.take(); chunk != END; chunk = pending.take()) {
                if (failure == null) {
                    try {
                        consumer.accept(chunk.bytes(), chunk.length());
                    } catch (IOException e) {
                        failure = e;
                    } catch (RuntimeException | Error e) {
                        // the caller must learn of it and never wait for a buffer this thread will not return
                        failure = new IOException(threadName + " failed", e);
                    }
                }
                free.put(chunk.bytes()); // after a failure, buffers still come back: the caller is never stuck
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
