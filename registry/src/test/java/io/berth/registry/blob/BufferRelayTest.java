package io.berth.registry.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30) // a relay that leaves its caller waiting fails here instead of hanging the build
class BufferRelayTest {

    /** Sends {@code count} buffers, each filled with its index, {@code length} bytes long. */
    private static void sendNumbered(BufferRelay relay, int count, int length) throws IOException {
        for (int i = 0; i < count; i++) {
            byte[] buffer = relay.buffer();
            java.util.Arrays.fill(buffer, 0, length, (byte) i);
            relay.send(length);
        }
    }

    @Test
    void consumesInOrderInlineFirstThenOnItsOwnThread() throws Exception {
        ByteArrayOutputStream consumed = new ByteArrayOutputStream();
        List<Thread> threads = Collections.synchronizedList(new ArrayList<>());
        BufferRelay relay = new BufferRelay("test-relay", 3 * 100, 2, (bytes, length) -> {
            threads.add(Thread.currentThread());
            consumed.write(bytes, 0, length);
        });

        sendNumbered(relay, 10, 100);
        relay.finish();

        byte[] all = consumed.toByteArray();
        assertThat(all).hasSize(1000);
        for (int i = 0; i < 10; i++) {
            assertThat(all[i * 100]).isEqualTo((byte) i);
            assertThat(all[i * 100 + 99]).isEqualTo((byte) i);
        }
        assertThat(threads.subList(0, 3)).containsOnly(Thread.currentThread());
        assertThat(threads.subList(3, 10)).doesNotContain(Thread.currentThread());
    }

    @Test
    void everyConsumerSeesEveryBufferInOrderWhateverItsPace() throws Exception {
        ByteArrayOutputStream fast = new ByteArrayOutputStream();
        ByteArrayOutputStream slow = new ByteArrayOutputStream();
        List<Thread> threads = Collections.synchronizedList(new ArrayList<>());
        BufferRelay relay = new BufferRelay("test-relay", 2 * 100, 3, (bytes, length) -> fast.write(bytes, 0, length),
                (bytes, length) -> {
                    threads.add(Thread.currentThread());
                    try {
                        Thread.sleep(2); // the other consumer runs ahead, up to the buffers there are
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                    slow.write(bytes, 0, length);
                });

        sendNumbered(relay, 40, 100);
        relay.finish();

        assertThat(fast.toByteArray()).hasSize(4000).isEqualTo(slow.toByteArray());
        for (int i = 0; i < 40; i++) {
            assertThat(slow.toByteArray()[i * 100 + 50]).isEqualTo((byte) i);
        }
        assertThat(threads.subList(0, 2)).containsOnly(Thread.currentThread());
        assertThat(threads.subList(2, 40)).doesNotContain(Thread.currentThread());
    }

    @Test
    void aPauseWaitsForTheConsumersAndReturnsEveryBufferUntilTheCallerGoesOn() throws Exception {
        BufferPool<byte[]> pool = new BufferPool<>(() -> new byte[100], 8, 8);
        ByteArrayOutputStream consumed = new ByteArrayOutputStream();
        BufferRelay relay = new BufferRelay(pool, "test-relay", 2 * 100, 4,
                (bytes, length) -> consumed.write(bytes, 0, length));

        sendNumbered(relay, 5, 100); // past the inline bytes: consumed on a thread of its own, 4 buffers lent
        assertThat(pool.lent()).isEqualTo(4);
        java.util.Arrays.fill(relay.buffer(), 0, 30, (byte) 5);
        relay.pause(30);
        assertThat(pool.lent()).isZero();
        assertThat(consumed.size()).as("all consumed when the pause returns").isEqualTo(530);

        sendNumbered(relay, 3, 100); // on again, with buffers taken anew
        relay.pause(0);
        assertThat(pool.lent()).isZero();
        assertThat(consumed.size()).isEqualTo(830);
        relay.finish();

        byte[] all = consumed.toByteArray();
        assertThat(all).hasSize(830);
        assertThat(all[529]).isEqualTo((byte) 5);
        assertThat(all[530]).isEqualTo((byte) 0);
    }

    @Test
    void withoutBuffersToLendTheCallerGoesOnConsumingAndTheBuffersComeBack() throws Exception {
        BufferPool<byte[]> pool = new BufferPool<>(() -> new byte[100], 4, 2);
        ByteArrayOutputStream consumed = new ByteArrayOutputStream();
        List<Thread> threads = Collections.synchronizedList(new ArrayList<>());
        BufferRelay relay = new BufferRelay(pool, "test-relay", 100, 3, (bytes, length) -> {
            threads.add(Thread.currentThread());
            consumed.write(bytes, 0, length);
        });

        sendNumbered(relay, 10, 100); // past the inline bytes, but the pool lends 2 buffers and threads need 3
        relay.finish();

        assertThat(consumed.toByteArray()).hasSize(1000);
        assertThat(consumed.toByteArray()[950]).isEqualTo((byte) 9);
        assertThat(threads).hasSize(10).containsOnly(Thread.currentThread());
        assertThat(pool.tryTake(2)).as("every buffer given back").hasSize(2);
    }

    @Test
    void aConsumerFailureReachesTheCallerWhoIsNeverLeftWaiting() {
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger others = new AtomicInteger();
        BufferRelay relay = new BufferRelay("test-relay", 0, 2, (bytes, length) -> others.incrementAndGet(),
                (bytes, length) -> {
                    if (calls.incrementAndGet() == 2) {
                        throw new IOException("disk full");
                    }
                });

        // The caller goes on sending until it notices; it must not block on buffers either consumer holds.
        assertThatThrownBy(() -> {
            sendNumbered(relay, 1000, 10);
            relay.finish();
        }).isInstanceOf(IOException.class).hasMessage("disk full");
        relay.abandon();
        assertThat(calls.get()).isEqualTo(2);
        assertThat(others.get()).as("buffers the other consumer took").isLessThan(1000);
    }

    @Test
    void anErrorInTheConsumerBecomesAnIOException() {
        BufferRelay relay = new BufferRelay("test-relay", 0, 2, (bytes, length) -> {
            throw new OutOfMemoryError("Direct buffer memory");
        });

        assertThatThrownBy(() -> {
            sendNumbered(relay, 100, 10);
            relay.finish();
        }).isInstanceOf(IOException.class).hasRootCauseInstanceOf(OutOfMemoryError.class);
        relay.abandon();
    }

    @Test
    void abandonReturnsOnlyOnceTheConsumerHasStopped() throws Exception {
        CountDownLatch consuming = new CountDownLatch(1);
        AtomicInteger after = new AtomicInteger();
        List<Boolean> abandoned = Collections.synchronizedList(new ArrayList<>());
        BufferRelay relay = new BufferRelay("test-relay", 0, 4, (bytes, length) -> {
            consuming.countDown();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
            if (!abandoned.isEmpty()) {
                after.incrementAndGet();
            }
        });
        sendNumbered(relay, 3, 10);
        consuming.await();

        relay.abandon();
        abandoned.add(true);

        Thread.sleep(300);
        assertThat(after.get()).as("buffers consumed after abandon() returned").isZero();
    }
}
