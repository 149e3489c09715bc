package io.berth.server.lifecycle;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;

/**
 * Direct access to a test registry's database for what no API sets: when a manifest was pushed and last pulled, so
 * tests can make images old without waiting days.
 */
final class LifecycleDatabase {
    private final String url;

    /** @param url the metadata database's JDBC URL */
    LifecycleDatabase(String url) {
        this.url = url;
    }

    /** Makes the manifest look pushed {@code days} days ago. */
    void pushedDaysAgo(String digest, double days) {
        update("UPDATE manifests SET created_at = ? WHERE digest = ?", ago(days), digest);
    }

    void pulledDaysAgo(String digest, double days) {
        update("UPDATE manifests SET last_pulled_at = ? WHERE digest = ?", ago(days), digest);
    }

    /** The recorded last pull, null when none is. */
    Instant lastPulledAt(String digest) {
        try (Connection c = DriverManager.getConnection(url);
             PreparedStatement ps = c.prepareStatement("SELECT last_pulled_at FROM manifests WHERE digest = ?")) {
            ps.setString(1, digest);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new AssertionError("no manifest " + digest);
                }
                long at = rs.getLong(1);
                return rs.wasNull() ? null : Instant.ofEpochMilli(at);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    boolean exists(String digest) {
        try (Connection c = DriverManager.getConnection(url);
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM manifests WHERE digest = ?")) {
            ps.setString(1, digest);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long ago(double days) {
        return Instant.now().minus(Duration.ofMinutes(Math.round(days * 24 * 60))).toEpochMilli();
    }

    private void update(String sql, long value, String digest) {
        try (Connection c = DriverManager.getConnection(url); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, value);
            ps.setString(2, digest);
            if (ps.executeUpdate() != 1) {
                throw new AssertionError("no manifest " + digest);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
