package io.berth.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code WWW-Authenticate} headers as registries send them (RFC 7235), and {@code Retry-After}. */
class ChallengeTest {
    @Test
    void aBearerChallengeGivesItsRealmServiceAndScopeWithCommasInsideQuotes() {
        Challenge challenge = Challenge.pick(List.of("Bearer realm=\"https://auth.example.com/token\","
                + "service=\"registry.example.com\",scope=\"repository:team/app:pull,push\""));

        assertThat(challenge).isEqualTo(new Challenge("bearer", Map.of("realm", "https://auth.example.com/token",
                "service", "registry.example.com", "scope", "repository:team/app:pull,push")));
    }

    @Test
    void bearerIsPreferredWhenSeveralChallengesAreOffered() {
        assertThat(Challenge.pick(List.of("Basic realm=\"registry\"", "Bearer realm=\"http://h/token\"")).scheme())
                .isEqualTo("bearer");
        assertThat(Challenge.parse("Basic realm=\"a\", Bearer realm=\"b\",service=c"))
                .extracting(Challenge::scheme).containsExactly("basic", "bearer");
    }

    @Test
    void basicAloneIsBasicAndAnUnknownSchemeIsNothingToAnswer() {
        assertThat(Challenge.pick(List.of("Basic realm=\"Registry Realm\"")).scheme()).isEqualTo("basic");
        assertThat(Challenge.pick(List.of("Negotiate"))).isNull();
    }

    @Test
    void retryAfterIsReadInSecondsOrAsADate() {
        assertThat(Transport.retryAfter("3")).isEqualTo(Duration.ofSeconds(3));
        assertThat(Transport.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).isEqualTo(Duration.ZERO);
        assertThat(Transport.retryAfter("soon")).isNull();
        assertThat(Transport.retryAfter(null)).isNull();
    }
}
