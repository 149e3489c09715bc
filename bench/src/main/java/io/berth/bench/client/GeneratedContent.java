package io.berth.bench.client;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * A large blob that is never held in memory: block {@code i} is one random 1 MiB block with {@code i} XORed into
 * its first eight bytes, so every block differs and any range can be produced again on demand, cheaply.
 */
public final class GeneratedContent {
    static final int BLOCK = 1024 * 1024;

    private final byte[] seedBlock = new byte[BLOCK];
    private final long size;

    public GeneratedContent(long size, long seed) {
        this.size = size;
        new SplittableRandom(seed).nextBytes(seedBlock);
    }

    public long size() {
        return size;
    }

    /** The sha256 of the whole content, computed by generating it once. */
    public String digest() {
        MessageDigest sha256 = Sha256.newDigest();
        for (byte[] piece : range(0, size)) {
            sha256.update(piece);
        }
        return Sha256.format(sha256.digest());
    }

    /** The bytes {@code [offset, offset + length)} as fresh arrays of at most 1 MiB, made as they are consumed. */
    public Iterable<byte[]> range(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > size) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " outside 0.." + size);
        }
        return () -> new Iterator<>() {
            private long position = offset;
            private final long end = offset + length;

            @Override
            public boolean hasNext() {
                return position < end;
            }

            @Override
            public byte[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                long block = position / BLOCK;
                int within = (int) (position % BLOCK);
                int n = (int) Math.min(BLOCK - within, end - position);
                byte[] piece = Arrays.copyOfRange(seedBlock, within, within + n);
                for (int k = within; k < Math.min(Long.BYTES, within + n); k++) {
                    piece[k - within] ^= (byte) (block >>> (8 * k));
                }
                position += n;
                return piece;
            }
        };
    }
}
