package io.berth.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Passes a stream through while a second thread hashes what went by. SHA-256 costs about as much CPU per byte as
 * receiving and writing the bytes, so on two cores a large upload finishes in roughly half the time it takes when
 * one thread does both. Copies go through a few reused buffers; when the hasher falls behind, reading waits.
 */
final class HashingInputStream extends FilterInputStream {
    private static final int BUFFER_SIZE = 256 * 1024;
    private static final int BUFFERS = 8;

    private record Chunk(byte[] bytes, int length) {
    }

    private static final Chunk END = new Chunk(new byte[0], -1);

    private final MessageDigest digest;
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BUFFERS);
    private final BlockingQueue<Chunk> pending = new ArrayBlockingQueue<>(BUFFERS + 1);
    private final Thread hasher;
    private byte[] filling;
    private int filled;
    private boolean finished;

    HashingInputStream(InputStream in, MessageDigest digest) {
        super(in);
        this.digest = digest;
        for (int i = 0; i < BUFFERS; i++) {
            free.add(new byte[BUFFER_SIZE]);
        }
        this.hasher = Thread.ofVirtual().name("berth-hash").start(this::hashUntilEnd);
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
            copyToHasher(buffer, offset, n);
        }
        return n;
    }

    private void copyToHasher(byte[] buffer, int offset, int length) throws IOException {
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
        try {
            if (filling != null && filled > 0) {
                pending.put(new Chunk(filling, filled));
            }
            filling = null;
            pending.put(END);
            hasher.join();
        } catch (InterruptedException e) {
            hasher.interrupt();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while hashing");
        }
    }

    /** Stops the hasher without waiting for it: the digest is unusable afterwards. */
    void abandon() {
        finished = true;
        hasher.interrupt();
    }
}
