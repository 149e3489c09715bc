package io.berth.server.http;

import io.berth.registry.blob.AwaitableInput;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.content.ContentSourceInputStream;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * A request's body as a blocking stream (Jetty's own) that can also wait for the client's next bytes without taking
 * them, for a limited time: an upload uses that to give its pooled buffers back while its client is slow.
 * {@link #available()} also counts bytes that have arrived but not been read into the stream yet.
 *
 * <p>Only the thread reading the body calls its methods.
 */
final class RequestBody extends ContentSourceInputStream implements AwaitableInput {
    private final Arrivals source;

    private RequestBody(Arrivals source) {
        super(source);
        this.source = source;
    }

    static RequestBody of(Content.Source request) {
        return new RequestBody(new Arrivals(request));
    }

    @Override
    public int available() throws IOException {
        int buffered = super.available();
        if (buffered > 0) {
            return buffered;
        }
        Content.Chunk ahead = source.readAhead();
        return ahead == null ? 0 : ahead.remaining();
    }

    /**
     * Reads what is left of the body, up to {@link Responses.REFUSED_BODY_DRAINED}, before closing: a request refused
     * before its body was read (an unknown session, say) then answers a client that is still sending it. Closing with
     * the body unread would fail it, and the client would get a reset stream (HTTP/2) or a closed connection instead
     * of the answer. Past the limit the body is failed, as before.
     */
    @Override
    public void close() throws IOException {
        try {
            byte[] discard = new byte[16 * 1024];
            long left = Responses.REFUSED_BODY_DRAINED;
            int n;
            while (left > 0 && (n = read(discard, 0, (int) Math.min(discard.length, left))) > 0) {
                left -= n;
            }
        } catch (IOException e) {
            // the client went away, or the body broke off: there is nothing left to answer
        } finally {
            super.close();
        }
    }

    @Override
    public boolean awaitData(long millis) throws IOException {
        return super.available() > 0 || source.readAhead() != null || source.await(millis);
    }

    /**
     * The request's content with one chunk read ahead, and a single demand at a time on it: both the stream (its
     * blocking reads) and {@link #await} wait for content, and the request takes one demand at a time.
     */
    private static final class Arrivals implements Content.Source {
        private final Content.Source source;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition arrival = lock.newCondition();
        /** Read ahead, for the stream's next {@link #read()}. Only the reading thread touches it. */
        private Content.Chunk ahead;
        private boolean demanding;
        private Runnable streamDemand;
        private long arrivals;

        Arrivals(Content.Source source) {
            this.source = source;
        }

        /** The chunk read ahead, reading one if none is and one has arrived; null if none has. */
        Content.Chunk readAhead() {
            while (ahead == null) {
                Content.Chunk chunk = source.read();
                if (chunk == null) {
                    return null;
                }
                if (chunk.hasRemaining() || chunk.isLast() || Content.Chunk.isFailure(chunk)) {
                    ahead = chunk;
                } else {
                    chunk.release(); // nothing to read in it
                }
            }
            return ahead;
        }

        /** Waits up to {@code millis} for content to arrive; whether it did. */
        boolean await(long millis) throws IOException {
            long nanos = TimeUnit.MILLISECONDS.toNanos(millis);
            lock.lock();
            try {
                long seen = arrivals;
                demand();
                while (arrivals == seen) {
                    if (nanos <= 0) {
                        return false;
                    }
                    nanos = arrival.awaitNanos(nanos);
                }
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for the request body");
            } finally {
                lock.unlock();
            }
        }

        @Override
        public Content.Chunk read() {
            Content.Chunk chunk = ahead;
            if (chunk != null) {
                ahead = null;
                return chunk;
            }
            return source.read();
        }

        @Override
        public void demand(Runnable demandCallback) {
            if (ahead != null) {
                demandCallback.run();
                return;
            }
            lock.lock();
            try {
                streamDemand = demandCallback;
                demand();
            } finally {
                lock.unlock();
            }
        }

        /** Demands content of the request unless a demand is pending already; the lock is held. */
        private void demand() {
            if (!demanding) {
                demanding = true;
                source.demand(Invocable.from(Invocable.InvocationType.NON_BLOCKING, this::arrived));
            }
        }

        private void arrived() {
            Runnable waiting;
            lock.lock();
            try {
                demanding = false;
                arrivals++;
                arrival.signalAll();
                waiting = streamDemand;
                streamDemand = null;
            } finally {
                lock.unlock();
            }
            if (waiting != null) {
                waiting.run();
            }
        }

        @Override
        public void fail(Throwable failure) {
            releaseAhead();
            source.fail(failure);
        }

        @Override
        public void fail(Throwable failure, boolean last) {
            releaseAhead();
            source.fail(failure, last);
        }

        private void releaseAhead() {
            if (ahead != null) {
                ahead.release();
                ahead = null;
            }
        }

        @Override
        public long getLength() {
            return source.getLength();
        }
    }
}
