package io.berth.registry.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalSyncTest {

    @Test
    void everyCallerReturnsOnlyAfterASyncThatStartedAfterItsCommitAndCommitsShareSyncs() throws Exception {
        AtomicLong commits = new AtomicLong(); // transactions written to the log
        AtomicLong onDisk = new AtomicLong(); // transactions a completed sync covers
        AtomicInteger syncs = new AtomicInteger();
        WalSync wal = new WalSync(() -> {
            long covered = commits.get();
            syncs.incrementAndGet();
            sleep(2);
            onDisk.accumulateAndGet(covered, Math::max);
        });
        List<Throwable> failures = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 50; i++) {
                    long mine = commits.incrementAndGet();
                    try {
                        wal.awaitDurable();
                    } catch (IOException e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                    if (onDisk.get() < mine) {
                        synchronized (failures) {
                            failures.add(new AssertionError("commit " + mine + " returned before it was synced"));
                        }
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failures).isEmpty();
        assertThat(onDisk.get()).isEqualTo(400);
        assertThat(syncs.get()).as("commits waiting together share one sync").isLessThan(400);
    }

    @Test
    void afterAFailedSyncEveryCommitFails() {
        AtomicInteger calls = new AtomicInteger();
        WalSync wal = new WalSync(() -> {
            if (calls.incrementAndGet() == 2) {
                throw new IOException("EIO");
            }
        });
        assertThatThrownBy(() -> {
            wal.awaitDurable();
            wal.awaitDurable();
        }).isInstanceOf(IOException.class).hasMessageContaining("restart");
        assertThatThrownBy(wal::awaitDurable).isInstanceOf(IOException.class).hasRootCauseMessage("EIO");
        assertThat(calls.get()).as("no further sync is attempted").isEqualTo(2);
    }

    @Test
    // the bug this guards against is a hang: the waiting thread is abandoned, the test fails
    @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aSyncEndingInAnUncheckedExceptionFailsLaterCommitsInsteadOfLeavingThemWaiting() {
        WalSync wal = new WalSync(() -> {
            throw new IllegalStateException("channel gone");
        });
        assertThatThrownBy(wal::awaitDurable).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(wal::awaitDurable).isInstanceOf(IOException.class).hasMessageContaining("restart");
    }

    @Test
    void syncsTheDatabasesLogFileAndToleratesItsAbsence(@TempDir Path dir) throws Exception {
        Path database = dir.resolve("metadata.db");
        WalSync wal = new WalSync(database);
        wal.awaitDurable(); // no log yet: nothing to sync
        Files.writeString(dir.resolve("metadata.db-wal"), "frames");
        wal.awaitDurable();
    }

    @Test
    void theSqliteWriterCommitsWithoutItsOwnFsyncAndTheStoreStillWorks(@TempDir Path dir) {
        try (SqlMetadataStore store = SqlMetadataStore.open("jdbc:sqlite:" + dir.resolve("m.db"), null, null)) {
            Integer synchronous = store.write(c -> {
                try (var ps = c.prepareStatement("PRAGMA synchronous"); var rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
            assertThat(synchronous).as("NORMAL: WalSync makes commits durable").isEqualTo(1);
            store.createUpload(new Upload("u1", "team/app", 0, 1, 1));
            assertThat(store.upload("u1")).isPresent();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
