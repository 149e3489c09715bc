package io.berth.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ResumableSha256Test {

    @BeforeAll
    static void statesCanBeSaved() {
        // The test JVM runs with the launcher's --add-opens (surefire's argLine): without it nothing below is tested.
        assertThat(ResumableSha256.available()).as("SHA-256 state reachable (--add-opens)").isTrue();
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    /** Hashes {@code data} in pieces cut at {@code cuts}, saving the state at each cut and going on from a restore. */
    private static byte[] resumed(byte[] data, TreeSet<Integer> cuts) {
        MessageDigest digest = ResumableSha256.create();
        int from = 0;
        for (int cut : cuts) {
            digest.update(data, from, cut - from);
            byte[] saved = ResumableSha256.save(digest, cut).orElseThrow();
            digest = ResumableSha256.restore(saved, cut).orElseThrow();
            from = cut;
        }
        digest.update(data, from, data.length - from);
        return digest.digest();
    }

    @Test
    void aDigestRestoredAtAnySplitGivesTheDigestOfTheWhole() throws Exception {
        Random random = new Random(42);
        for (int round = 0; round < 500; round++) {
            byte[] data = new byte[random.nextInt(round < 250 ? 300 : 200_000)];
            random.nextBytes(data);
            TreeSet<Integer> cuts = new TreeSet<>();
            int count = random.nextInt(6);
            for (int i = 0; i < count && data.length > 0; i++) {
                cuts.add(random.nextInt(data.length + 1));
            }
            assertThat(resumed(data, cuts)).as("%d bytes cut at %s", data.length, cuts).isEqualTo(sha256(data));
        }
    }

    @Test
    void everySplitAroundBlockBoundariesRestoresExactly() throws Exception {
        byte[] data = new byte[3 * 64 + 7];
        new Random(7).nextBytes(data);
        for (int cut = 0; cut <= data.length; cut++) {
            TreeSet<Integer> cuts = new TreeSet<>(Arrays.asList(cut));
            assertThat(resumed(data, cuts)).as("cut at %d", cut).isEqualTo(sha256(data));
        }
    }

    @Test
    void aStateIsOnlyRestoredForTheSizeItWasSavedAt() {
        MessageDigest digest = ResumableSha256.create();
        digest.update(new byte[100]);
        assertThat(ResumableSha256.save(digest, 99)).isEmpty();
        byte[] saved = ResumableSha256.save(digest, 100).orElseThrow();
        assertThat(ResumableSha256.restore(saved, 100)).isPresent();
        assertThat(ResumableSha256.restore(saved, 101)).isEmpty();
        assertThat(ResumableSha256.restore(Arrays.copyOf(saved, saved.length - 1), 100)).isEmpty();
        assertThat(ResumableSha256.restore(new byte[0], 0)).isEmpty();
        assertThat(ResumableSha256.restore(null, 0)).isEmpty();
    }

    @Test
    void aPlainJdkDigestIsNotSaved() throws Exception {
        MessageDigest plain = MessageDigest.getInstance("SHA-256");
        assertThat(ResumableSha256.save(plain, 0)).isEmpty();
    }

    @Test
    void itIsAnOrdinaryMessageDigestOtherwise() throws Exception {
        MessageDigest digest = ResumableSha256.create();
        digest.update((byte) 'a');
        digest.update("bc".getBytes());
        assertThat(digest.digest()).isEqualTo(sha256("abc".getBytes()));
        digest.update("abc".getBytes()); // digest() resets it
        assertThat(digest.digest()).isEqualTo(sha256("abc".getBytes()));
        assertThat(digest.getDigestLength()).isEqualTo(32);
    }
}
