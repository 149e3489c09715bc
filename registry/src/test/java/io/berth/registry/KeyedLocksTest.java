package io.berth.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class KeyedLocksTest {
    private final KeyedLocks locks = new KeyedLocks();

    @Test
    void aKeyIsHeldByOneUserAtATimeAndOtherKeysAreFree() throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            threads.submit(() -> {
                try (KeyedLocks.Held lock = locks.lock("a")) {
                    held.countDown();
                    release.await();
                }
                return null;
            });
            held.await();
            Future<?> sameKey = threads.submit(() -> locks.lock("a").close());
            Future<?> otherKey = threads.submit(() -> locks.lock("b").close());
            otherKey.get(5, TimeUnit.SECONDS);
            assertThat(waitsAtLeast(sameKey, 200)).as("the same key waits for its holder").isTrue();
            release.countDown();
            sameKey.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void keysLeaveNoEntryOnceNoOneHoldsThem() {
        for (int i = 0; i < 1000; i++) {
            try (KeyedLocks.Held outer = locks.lock("key-" + i); KeyedLocks.Held inner = locks.lock("key-" + i)) {
                assertThat(locks.size()).isEqualTo(1);
            }
        }
        assertThat(locks.size()).isZero();
    }

    private static boolean waitsAtLeast(Future<?> future, long millis) throws Exception {
        try {
            future.get(millis, TimeUnit.MILLISECONDS);
            return false;
        } catch (TimeoutException stillWaiting) {
            return true;
        }
    }
}
