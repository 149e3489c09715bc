package io.berth.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.registry.metadata.MetadataException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

/** Which metadata failures are an outage (503, retried by clients) and which stay a fault of the server (500). */
class MetadataOutageTest {
    @Test
    void aPoolThatGotNoConnectionInTimeIsAnOutage() {
        assertThat(MetadataOutage.causes(new MetadataException("metadata read failed",
                new SQLTransientConnectionException("berth-postgresql - Connection is not available")))).isTrue();
    }

    @Test
    void connectionExceptionsAndShutdownsAreOutages() {
        for (String state : new String[] {"08001", "08006", "08003", "57P01", "57P02", "57P03"}) {
            assertThat(MetadataOutage.causes(new MetadataException("metadata write failed",
                    new SQLException("lost", state)))).as(state).isTrue();
        }
    }

    @Test
    void otherDatabaseErrorsAndBugsAreNot() {
        for (String state : new String[] {"23505", "40001", "42P01", "22001", null}) {
            assertThat(MetadataOutage.causes(new MetadataException("metadata write failed",
                    new SQLException("broken", state)))).as(state).isFalse();
        }
        assertThat(MetadataOutage.causes(new IllegalStateException("a bug"))).isFalse();
    }
}
