package io.berth.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.oci.Digest;
import io.berth.oci.DigestAlgorithm;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HashingInputStreamTest {

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4095, 256 * 1024, 256 * 1024 + 1, HashingInputStream.INLINE_BYTES,
            HashingInputStream.INLINE_BYTES + 1, 5 * 1024 * 1024 + 17, 9 * 1024 * 1024 + 3})
    void passesEveryByteThroughAndHashesExactlyWhatPassed(int size) throws Exception {
        byte[] content = new byte[size];
        new Random(size).nextBytes(content);
        MessageDigest sha256 = DigestAlgorithm.SHA256.newMessageDigest();
        HashingInputStream in = new HashingInputStream(new ByteArrayInputStream(content), sha256);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[7919]; // reads that never line up with the hasher's buffers
        int n;
        while ((n = in.read(buffer, 0, buffer.length)) >= 0) {
            out.write(buffer, 0, n);
        }
        in.finish();
        assertThat(out.toByteArray()).isEqualTo(content);
        assertThat(Digest.of(DigestAlgorithm.SHA256, sha256)).isEqualTo(Digest.sha256(content));
    }
}
