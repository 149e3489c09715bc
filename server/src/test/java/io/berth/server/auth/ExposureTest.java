package io.berth.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.server.BerthServer;
import io.berth.server.Config;
import io.berth.server.testing.AuthFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without authentication a registry may only listen on loopback, unless anonymous access is asked for. */
class ExposureTest {
    @TempDir
    Path data;

    @Test
    void anAddressBeyondLoopbackWithoutAuthenticationIsRefused() {
        Config config = Config.DEFAULTS.withData(data).withListen("0.0.0.0:0");
        assertThatThrownBy(() -> BerthServer.start(config)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("without authentication").hasMessageContaining("--allow-anonymous");
    }

    @Test
    void theRuleCountsLoopbackAddressesAsSafe() {
        assertThat(Config.DEFAULTS.withListen("127.0.0.1:5000").loopbackOnly()).isTrue();
        assertThat(Config.DEFAULTS.withListen("[::1]:5000").loopbackOnly()).isTrue();
        assertThat(Config.DEFAULTS.withListen("localhost:5000").loopbackOnly()).isTrue();
        assertThat(Config.DEFAULTS.withListen(":5000").loopbackOnly()).isFalse();
        assertThat(Config.DEFAULTS.withListen("0.0.0.0:5000").loopbackOnly()).isFalse();
    }

    @Test
    void explicitAnonymousAccessOrAuthenticationLiftsTheRule() {
        Config exposed = Config.DEFAULTS.withData(data).withListen("0.0.0.0:0");
        assertThat(BerthServer.exposureProblem(exposed.withAllowAnonymous(true))).isEmpty();
        assertThat(BerthServer.exposureProblem(AuthFixture.secured(exposed))).isEmpty();
        assertThat(BerthServer.exposureProblem(exposed)).isPresent();
    }
}
