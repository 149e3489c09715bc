package io.berth.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final LoginThrottle throttle = new LoginThrottle(Duration.ofMinutes(5), Duration.ZERO, nanos::get);

    @Test
    void aLockoutLastsTheWindowFromTheLastCountedFailureAndSaysHowMuchIsLeft() {
        for (int i = 0; i < LoginThrottle.LIMIT; i++) {
            assertThat(throttle.blockedFor("10.0.0.1")).isEmpty();
            throttle.failed("10.0.0.1", "credential-" + i);
            advance(Duration.ofSeconds(1));
        }
        assertThat(throttle.blockedFor("10.0.0.1")).hasValue(Duration.ofSeconds(299));
        advance(Duration.ofMinutes(2).plusMillis(500));
        assertThat(throttle.blockedFor("10.0.0.1")).as("rounded up").hasValue(Duration.ofSeconds(179));
        advance(Duration.ofSeconds(179));
        assertThat(throttle.blockedFor("10.0.0.1")).isEmpty();
        assertThat(throttle.blockedFor("10.0.0.2")).isEmpty();
    }

    @Test
    void theSameCredentialFailingAgainIsOneFailure() {
        for (int i = 0; i < 3 * LoginThrottle.LIMIT; i++) {
            throttle.failed("10.0.0.1", "the-same-typo");
        }
        assertThat(throttle.blockedFor("10.0.0.1")).isEmpty();
        for (int i = 1; i < LoginThrottle.LIMIT; i++) {
            throttle.failed("10.0.0.1", "credential-" + i);
        }
        assertThat(throttle.blockedFor("10.0.0.1")).hasValue(Duration.ofMinutes(5));
    }

    private void advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
    }
}
