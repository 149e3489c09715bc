package io.berth.server.http;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;

/**
 * Sends a range of a file as the response body through memory-mapped windows: the socket write reads the page
 * cache directly, with no copy into a Java buffer. Each window leaves the resident set as soon as it is written, so
 * a large blob never counts as more than one window of resident memory.
 *
 * <p>The pages of a mapped window count in the process's resident set (and in what the kernel's OOM killer weighs)
 * once per mapping, although the page cache holds them once: a thousand concurrent downloads of one 16 MiB blob,
 * each with its own 8 MiB window, peaked at 3 GiB, and at 5.8 GiB when their clients did not read. The downloads
 * under way therefore share {@link #BUDGET} for their windows; one that finds it spent maps {@link #FLOOR} at a time.
 * (Copying through pooled buffers instead ran out of direct memory with a thousand stalled downloads: each holds its
 * buffer until its client reads.)
 *
 * <p>A download with whole windows maps its range once and drops each written window from the resident set
 * ({@link MemorySegment#unload()}, {@code madvise(MADV_DONTNEED)}); the pages stay in the page cache. Unmapping is
 * what costs: closing a shared arena is a handshake with every Java thread, and once per 8 MiB window that cost
 * 7-8 % of a 1 GiB download's speed. A download at the floor maps each window on its own instead, because the kernel
 * may map a large mapping in 2 MiB pages, which would make every stalled floor window resident eight times over.
 */
final class MappedFileWriter extends IteratingCallback {
    static final long WINDOW = 8L * 1024 * 1024;
    static final long BUDGET = 64L * 1024 * 1024;
    static final long FLOOR = 256L * 1024;
    private static final AtomicLong MAPPED = new AtomicLong();

    private final FileChannel channel;
    private final Response response;
    private final Callback callback;
    private final long end;
    private final long windowSize;
    private final long mappingSize;
    private long position;
    private Arena arena;
    private MemorySegment mapping;
    private long mappingStart;
    private MemorySegment window;

    private MappedFileWriter(FileChannel channel, long offset, long length, long windowSize, Response response,
                             Callback callback) {
        this.channel = channel;
        this.position = offset;
        this.end = offset + length;
        this.windowSize = windowSize;
        this.mappingSize = windowSize < Math.min(WINDOW, length) ? windowSize : length;
        this.response = response;
        this.callback = callback;
    }

    /** Writes {@code length} bytes of {@code file} from {@code offset}, then completes {@code callback}. */
    static void send(Path file, long offset, long length, Response response, Callback callback) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        new MappedFileWriter(channel, offset, length, reserve(Math.min(WINDOW, length)), response, callback).iterate();
    }

    /** Bytes set aside for the windows of the downloads under way. */
    static long mapped() {
        return MAPPED.get();
    }

    /** Sets aside a window of {@code wanted} bytes, or what is left of the budget, but never less than the floor. */
    private static long reserve(long wanted) {
        long before = MAPPED.getAndUpdate(now -> now + windowFor(wanted, now));
        return windowFor(wanted, before);
    }

    private static long windowFor(long wanted, long mapped) {
        return Math.min(wanted, Math.max(FLOOR, BUDGET - mapped));
    }

    @Override
    protected Action process() throws IOException {
        if (window != null) {
            if (position < mappingStart + mapping.byteSize()) {
                window.unload();
            } else {
                unmap();
            }
            window = null;
        }
        if (position >= end) {
            return Action.SUCCEEDED;
        }
        if (mapping == null) {
            arena = Arena.ofShared();
            mappingStart = position;
            mapping = channel.map(FileChannel.MapMode.READ_ONLY, position, Math.min(mappingSize, end - position),
                    arena);
        }
        long size = Math.min(windowSize, end - position);
        window = mapping.asSlice(position - mappingStart, size);
        position += size;
        response.write(position >= end, window.asByteBuffer(), this);
        return Action.SCHEDULED;
    }

    @Override
    protected void onCompleteSuccess() {
        release();
        callback.succeeded();
    }

    @Override
    protected void onCompleteFailure(Throwable cause) {
        release();
        callback.failed(cause);
    }

    private void unmap() {
        if (arena != null) {
            try {
                arena.close();
            } catch (IllegalStateException e) {
                // still held by a write that failed: the mapping goes with the process rather than under a reader
            }
            arena = null;
            mapping = null;
        }
    }

    private void release() {
        window = null;
        unmap();
        MAPPED.addAndGet(-windowSize);
        try {
            channel.close();
        } catch (IOException e) {
            // nothing was written through this channel: closing it cannot lose data
        }
    }
}
