package io.berth.registry;

import io.berth.registry.blob.BufferPool;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Passes a stream through while hashing what went by. The first {@value #INLINE_BYTES} bytes are hashed as they are
 * read: a layer of a few megabytes costs less that way than a hand-over, and many such uploads run side by side
 * anyway. Past that, a second thread hashes: SHA-256 costs about as much CPU per byte as receiving and writing the
 * bytes, so on two cores a large upload finishes in roughly half the time it takes when one thread does both.
 * Copies for that thread go through a few pooled buffers; when it falls behind, reading waits.
 */
final class HashingInputStream extends FilterInputStream {
    static final int INLINE_BYTES = 4 * 1024 * 1024;
    private static final int BUFFERS = 8;
    private static final BufferPool POOL = BufferPool.BODIES;

    private record Chunk(byte[] bytes, int length) {
    }

    private static final Chunk END = new Chunk(new byte[0], -1);

    private final MessageDigest digest;
    private long inline = INLINE_BYTES;
    private BlockingQueue<byte[]> free;
    private BlockingQueue<Chunk> pending;
    private List<byte[]> taken;
    private Thread hasher;
    private byte[] filling;
    private int filled;
    private boolean finished;

    HashingInputStream(InputStream in, MessageDigest digest) {
        super(in);
        this.digest = digest;
    }

    private void hashUntilEnd() {
        try {
            for (Chunk chunk = pending.take(); chunk != END; chunk = pending.take()) {
                digest.update(chunk.bytes(), 0, chunk.length());
                free.put(chunk.bytes());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = in.read(buffer, offset, length);
        if (n > 0) {
            int now = (int) Math.min(n, inline);
            if (now > 0) {
                digest.update(buffer, offset, now);
                inline -= now;
            }
            if (now < n) {
                copyToHasher(buffer, offset + now, n - now);
            }
        }
        return n;
    }

    private void startHasher() {
        free = new ArrayBlockingQueue<>(BUFFERS);
        pending = new ArrayBlockingQueue<>(BUFFERS + 1);
        taken = new ArrayList<>(BUFFERS);
        for (int i = 0; i < BUFFERS; i++) {
            byte[] buffer = POOL.take();
            taken.add(buffer);
            free.add(buffer);
        }
        hasher = Thread.ofVirtual().name("berth-hash").start(this::hashUntilEnd);
    }

    private void copyToHasher(byte[] buffer, int offset, int length) throws IOException {
        if (hasher == null) {
            startHasher();
        }
        try {
            while (length > 0) {
                if (filling == null) {
                    filling = free.take();
                    filled = 0;
                }
                int n = Math.min(length, filling.length - filled);
                System.arraycopy(buffer, offset, filling, filled, n);
                filled += n;
                offset += n;
                length -= n;
                if (filled == filling.length) {
                    pending.put(new Chunk(filling, filled));
                    filling = null;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while hashing");
        }
    }

    /**
     * Waits until every byte read so far is in the digest. Call once, after the last read; the digest is then
     * complete and safe to use on this thread.
     */
    void finish() throws IOException {
        if (finished) {
            return;
        }
        finished = true;
        if (hasher == null) {
            return;
        }
        try {
            if (filling != null && filled > 0) {
                pending.put(new Chunk(filling, filled));
            }
            filling = null;
            pending.put(END);
            hasher.join();
            taken.forEach(POOL::give);
        } catch (InterruptedException e) {
            hasher.interrupt();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while hashing");
        }
    }

    /** Stops the hasher without waiting for it: the digest is unusable afterwards (its buffers are not reused). */
    void abandon() {
        finished = true;
        if (hasher != null) {
            hasher.interrupt();
        }
    }
}
