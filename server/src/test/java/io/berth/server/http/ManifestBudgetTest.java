package io.berth.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.registry.ErrorCode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ManifestBudgetTest {
    private static final int MAX = 4 * 1024 * 1024;
    private final ManifestBudget budget = new ManifestBudget(MAX, Duration.ofMillis(200));

    @Test
    void aPushPastTheRoomForTheLargestManifestsWaitsThenIsToldToRetry() throws Exception {
        try (ManifestBudget.Reservation first = budget.reserve(MAX);
             ManifestBudget.Reservation undeclared = budget.reserve(-1)) {
            assertThatThrownBy(() -> budget.reserve(1024))
                    .isInstanceOfSatisfying(HttpError.class, refused -> {
                        assertThat(refused.status()).isEqualTo(429);
                        assertThat(refused.code()).isEqualTo(ErrorCode.TOOMANYREQUESTS);
                        assertThat(refused.message()).contains("retry");
                        assertThat(refused.headers()).containsKey("Retry-After");
                    });
        }
        budget.reserve(MAX).close(); // the room came back
    }

    @Test
    void smallManifestsShareTheRoomByTheirLength() throws Exception {
        ManifestBudget.Reservation[] held = new ManifestBudget.Reservation[ManifestBudget.LARGEST_AT_ONCE * 1024];
        for (int i = 0; i < held.length; i++) {
            held[i] = budget.reserve(MAX / 1024);
        }
        assertThatThrownBy(() -> budget.reserve(1)).isInstanceOf(HttpError.class);
        for (ManifestBudget.Reservation reservation : held) {
            reservation.close();
        }
    }
}
