package io.berth.bench.client;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.Flow;

/**
 * Consumes a response body by hashing the buffers as the HTTP client delivers them: no copy into an array, no
 * thread hand-off, so a download is limited by the server and SHA-256, not by the reading.
 */
final class DigestingSubscriber implements Flow.Subscriber<List<ByteBuffer>> {
    private final MessageDigest sha256 = Sha256.newDigest();
    private long size;

    /** What the body was: its length and sha256. */
    record Digested(long size, String digest) {
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
        for (ByteBuffer buffer : buffers) {
            size += buffer.remaining();
            sha256.update(buffer);
        }
    }

    @Override
    public void onError(Throwable failure) {
        // the client reports it from send()
    }

    @Override
    public void onComplete() {
    }

    Digested result() {
        return new Digested(size, Sha256.format(sha256.digest()));
    }
}
