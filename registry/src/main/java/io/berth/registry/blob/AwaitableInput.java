package io.berth.registry.blob;

import java.io.IOException;

/**
 * Upload bytes that can be waited for without being taken: an upload whose client pauses gives its pooled buffers
 * back while it waits (see {@link FileSystemBlobStore}), so a few hundred slow or stalled clients do not hold up
 * every other upload. Implemented by the input stream of a request body.
 */
public interface AwaitableInput {
    /**
     * Waits up to {@code millis} until more bytes, or the end, can be read without waiting.
     *
     * @return whether they can
     */
    boolean awaitData(long millis) throws IOException;
}
