package io.berth.server.http;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;

/**
 * Sends a range of a file as the response body through memory-mapped windows: the socket write reads the page
 * cache directly, with no copy into a Java buffer. Each window is unmapped as soon as it is written, so a large
 * blob never counts as more than one window of resident memory.
 */
final class MappedFileWriter extends IteratingCallback {
    private static final long WINDOW = 8L * 1024 * 1024;

    private final FileChannel channel;
    private final Response response;
    private final Callback callback;
    private final long end;
    private long position;
    private Arena window;

    private MappedFileWriter(FileChannel channel, long offset, long length, Response response, Callback callback) {
        this.channel = channel;
        this.position = offset;
        this.end = offset + length;
        this.response = response;
        this.callback = callback;
    }

    /** Writes {@code length} bytes of {@code file} from {@code offset}, then completes {@code callback}. */
    static void send(Path file, long offset, long length, Response response, Callback callback) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        new MappedFileWriter(channel, offset, length, response, callback).iterate();
    }

    @Override
    protected Action process() throws IOException {
        unmap();
        if (position >= end) {
            return Action.SUCCEEDED;
        }
        long size = Math.min(WINDOW, end - position);
        window = Arena.ofShared();
        MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, position, size, window);
        position += size;
        response.write(position >= end, mapped.asByteBuffer(), this);
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
        if (window != null) {
            try {
                window.close();
            } catch (IllegalStateException e) {
                // still held by a write that failed: the mapping goes with the process rather than under a reader
            }
            window = null;
        }
    }

    private void release() {
        unmap();
        try {
            channel.close();
        } catch (IOException e) {
            // nothing was written through this channel: closing it cannot lose data
        }
    }
}
