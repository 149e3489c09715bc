package io.berth.registry;

import io.berth.registry.blob.BufferRelay;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Passes a stream through while hashing what went by. The first {@value #INLINE_BYTES} bytes are hashed as they are
 * read: a layer of a few megabytes costs less that way than a hand-over, and many such uploads run side by side
 * anyway. Past that, a second thread hashes: SHA-256 costs about as much CPU per byte as receiving and writing the
 * bytes, so on two cores a large upload finishes in roughly half the time it takes when one thread does both.
 * Copies for that thread go through a {@link BufferRelay}; when it falls behind, reading waits.
 */
final class HashingInputStream extends FilterInputStream {
    static final int INLINE_BYTES = 4 * 1024 * 1024;
    private static final int BUFFERS = 8;

    private final MessageDigest digest;
    private long inline = INLINE_BYTES;
    private BufferRelay hasher;
    private int filled;
    private boolean finished;

    HashingInputStream(InputStream in, MessageDigest digest) {
        super(in);
        this.digest = digest;
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

    private void copyToHasher(byte[] buffer, int offset, int length) throws IOException {
        if (hasher == null) {
            hasher = new BufferRelay("berth-hash", 0, BUFFERS, (bytes, n) -> digest.update(bytes, 0, n));
        }
        while (length > 0) {
            byte[] filling = hasher.buffer();
            int n = Math.min(length, filling.length - filled);
            System.arraycopy(buffer, offset, filling, filled, n);
            filled += n;
            offset += n;
            length -= n;
            if (filled == filling.length) {
                hasher.send(filled);
                filled = 0;
            }
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
        if (hasher != null) {
            if (filled > 0) {
                hasher.send(filled);
            }
            hasher.finish();
        }
    }

    /** Stops the hasher: the digest is unusable afterwards. */
    void abandon() {
        finished = true;
        if (hasher != null) {
            hasher.abandon();
        }
    }
}
