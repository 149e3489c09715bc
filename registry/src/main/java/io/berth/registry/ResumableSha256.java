package io.berth.registry;

import io.berth.oci.DigestAlgorithm;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.Security;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SHA-256 whose running state can be saved with an upload session and restored by another process, so a session
 * continued elsewhere goes on hashing where it stopped instead of reading its bytes back from storage.
 *
 * <p>The JDK's SHA-256 runs on the CPU's SHA instructions (a HotSpot intrinsic) and a pure-Java one is several times
 * slower, but the JDK offers no public way to read or set its state. So this wraps the JDK's own implementation
 * ({@code sun.security.provider.SHA2$SHA256}, made through the provider's public service API) and reads and sets its
 * fields through method and var handles, which needs {@code --add-opens java.base/sun.security.provider=ALL-UNNAMED}
 * (every launch of the server passes it). Without it, or on a JDK whose fields differ, digests are the JDK's plain
 * ones, nothing is saved, and sessions continued elsewhere are re-read as before: slower, never wrong.
 *
 * <p>A saved state: a format byte, the bytes hashed so far (long), the bytes waiting in the block buffer (int), the
 * eight state words, then those waiting bytes. A state is only restored for a session of exactly that size.
 */
final class ResumableSha256 {
    private static final Logger LOG = LoggerFactory.getLogger(ResumableSha256.class);
    private static final byte FORMAT = 1;
    private static final int BLOCK = 64;
    private static final int WORDS = 8;
    private static final Handles HANDLES = Handles.find();

    private ResumableSha256() {
    }

    /** Whether digests made here can be saved: false means plain JDK digests and re-reads. */
    static boolean available() {
        return HANDLES != null;
    }

    /** A new SHA-256 digest, one {@link #save} can save when that is possible. */
    static MessageDigest create() {
        if (HANDLES == null) {
            return DigestAlgorithm.SHA256.newMessageDigest();
        }
        return new Exportable(HANDLES.newSpi());
    }

    /** The state of {@code digest}, which has hashed {@code size} bytes; empty when it cannot be saved. */
    static Optional<byte[]> save(MessageDigest digest, long size) {
        if (!(digest instanceof Exportable exportable)) {
            return Optional.empty();
        }
        Object spi = exportable.spi;
        long processed = (long) HANDLES.bytesProcessed.get(spi);
        int waiting = (int) HANDLES.bufOfs.get(spi);
        if (processed != size || waiting != size % BLOCK) {
            return Optional.empty(); // not the digest of those bytes: better none than a wrong one
        }
        int[] state = (int[]) HANDLES.state.get(spi);
        byte[] buffer = (byte[]) HANDLES.buffer.get(spi);
        ByteBuffer saved = ByteBuffer.allocate(1 + 8 + 4 + WORDS * 4 + waiting);
        saved.put(FORMAT).putLong(processed).putInt(waiting);
        for (int i = 0; i < WORDS; i++) {
            saved.putInt(state[i]);
        }
        saved.put(buffer, 0, waiting);
        return Optional.of(saved.array());
    }

    /**
     * A digest that goes on from a saved state of {@code size} bytes; empty when there is none, it is of another size
     * or format, or states cannot be restored here.
     */
    static Optional<MessageDigest> restore(byte[] saved, long size) {
        if (HANDLES == null || saved == null || saved.length < 1 + 8 + 4 + WORDS * 4) {
            return Optional.empty();
        }
        ByteBuffer in = ByteBuffer.wrap(saved);
        if (in.get() != FORMAT) {
            return Optional.empty();
        }
        long processed = in.getLong();
        int waiting = in.getInt();
        if (processed != size || waiting != size % BLOCK || in.remaining() != WORDS * 4 + waiting) {
            return Optional.empty();
        }
        Object spi = HANDLES.newSpi();
        int[] state = (int[]) HANDLES.state.get(spi);
        for (int i = 0; i < WORDS; i++) {
            state[i] = in.getInt();
        }
        byte[] buffer = (byte[]) HANDLES.buffer.get(spi);
        in.get(buffer, 0, waiting);
        HANDLES.bufOfs.set(spi, waiting);
        HANDLES.bytesProcessed.set(spi, processed);
        return Optional.of(new Exportable(spi));
    }

    /** The JDK's SHA-256 behind the MessageDigest API, through handles to its engine methods. */
    private static final class Exportable extends MessageDigest {
        private final Object spi;

        Exportable(Object spi) {
            super("SHA-256");
            this.spi = spi;
        }

        @Override
        protected void engineUpdate(byte input) {
            try {
                HANDLES.updateByte.invokeExact(spi, input);
            } catch (Throwable e) {
                throw rethrown(e);
            }
        }

        @Override
        protected void engineUpdate(byte[] input, int offset, int length) {
            try {
                HANDLES.update.invokeExact(spi, input, offset, length);
            } catch (Throwable e) {
                throw rethrown(e);
            }
        }

        @Override
        protected byte[] engineDigest() {
            try {
                return (byte[]) HANDLES.digest.invokeExact(spi);
            } catch (Throwable e) {
                throw rethrown(e);
            }
        }

        @Override
        protected void engineReset() {
            try {
                HANDLES.reset.invokeExact(spi);
            } catch (Throwable e) {
                throw rethrown(e);
            }
        }

        @Override
        protected int engineGetDigestLength() {
            return 32;
        }

        private static RuntimeException rethrown(Throwable e) {
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e instanceof Error error) {
                throw error;
            }
            return new IllegalStateException(e);
        }
    }

    /** What the wrapper needs of the JDK's classes; null when they cannot be reached. */
    private record Handles(Provider.Service service, MethodHandle updateByte, MethodHandle update,
                           MethodHandle digest, MethodHandle reset, VarHandle state, VarHandle buffer,
                           VarHandle bufOfs, VarHandle bytesProcessed) {
        Object newSpi() {
            try {
                return service.newInstance(null);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        static Handles find() {
            try {
                Provider.Service service = Security.getProvider("SUN").getService("MessageDigest", "SHA-256");
                Object probe = service.newInstance(null);
                Class<?> base = Class.forName("sun.security.provider.DigestBase");
                Class<?> sha2 = Class.forName("sun.security.provider.SHA2");
                if (!sha2.isInstance(probe)) {
                    throw new ClassCastException(probe.getClass() + " is not " + sha2);
                }
                MethodHandles.Lookup inBase = MethodHandles.privateLookupIn(base, MethodHandles.lookup());
                MethodHandles.Lookup inSha2 = MethodHandles.privateLookupIn(sha2, MethodHandles.lookup());
                MethodType asObject = MethodType.methodType(void.class, Object.class);
                Handles handles = new Handles(service,
                        inBase.findVirtual(base, "engineUpdate", MethodType.methodType(void.class, byte.class))
                                .asType(asObject.appendParameterTypes(byte.class)),
                        inBase.findVirtual(base, "engineUpdate",
                                        MethodType.methodType(void.class, byte[].class, int.class, int.class))
                                .asType(asObject.appendParameterTypes(byte[].class, int.class, int.class)),
                        inBase.findVirtual(base, "engineDigest", MethodType.methodType(byte[].class))
                                .asType(MethodType.methodType(byte[].class, Object.class)),
                        inBase.findVirtual(base, "engineReset", MethodType.methodType(void.class))
                                .asType(asObject),
                        inSha2.findVarHandle(sha2, "state", int[].class),
                        inBase.findVarHandle(base, "buffer", byte[].class),
                        inBase.findVarHandle(base, "bufOfs", int.class),
                        inBase.findVarHandle(base, "bytesProcessed", long.class));
                if (((int[]) handles.state.get(probe)).length != WORDS
                        || ((byte[]) handles.buffer.get(probe)).length != BLOCK) {
                    throw new IllegalStateException("unexpected SHA-256 state layout");
                }
                return handles;
            } catch (ReflectiveOperationException | GeneralSecurityException | RuntimeException e) {
                LOG.warn("upload hash states cannot be saved ({}): an upload continued on another server is re-read "
                        + "from storage to hash it; run the JVM with --add-opens "
                        + "java.base/sun.security.provider=ALL-UNNAMED", e.toString());
                return null;
            }
        }
    }
}
