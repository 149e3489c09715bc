package io.berth.bench.jmh;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * SHA-256 of 1 MiB, the work a registry does for every megabyte pushed (and a client for every megabyte pulled):
 * the JDK's {@link MessageDigest}, fed in one call and in the 64 KiB pieces a network stream delivers.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class Sha256Benchmark {
    private static final int MIB = 1024 * 1024;
    private static final int PIECE = 64 * 1024;

    private final byte[] data = new byte[MIB];
    private MessageDigest sha256;

    @Setup
    public void setUp() throws NoSuchAlgorithmException {
        new SplittableRandom(42).nextBytes(data);
        sha256 = MessageDigest.getInstance("SHA-256");
    }

    @Benchmark
    public byte[] oneMebibyteAtOnce() {
        return sha256.digest(data);
    }

    @Benchmark
    public byte[] oneMebibyteIn64KibPieces() {
        for (int offset = 0; offset < MIB; offset += PIECE) {
            sha256.update(data, offset, PIECE);
        }
        return sha256.digest();
    }

    @Benchmark
    public byte[] newInstanceEachTime() throws NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }
}
