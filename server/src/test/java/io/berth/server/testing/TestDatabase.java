package io.berth.server.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/** A fresh database on the test PostgreSQL server, dropped on {@link #close()}. */
public final class TestDatabase implements AutoCloseable {
    private final String admin;
    private final String name;

    private TestDatabase(String admin, String name) {
        this.admin = admin;
        this.name = name;
    }

    public static TestDatabase create() {
        String admin = ExternalTools.postgresUrl();
        String name = "berth_test_" + UUID.randomUUID().toString().replace("-", "");
        try {
            execute(admin, "CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create " + name, e);
        }
        return new TestDatabase(admin, name);
    }

    /** The JDBC URL of this database: the admin URL with its database name replaced. */
    public String url() {
        int slash = admin.indexOf('/', "jdbc:postgresql://".length());
        int query = admin.indexOf('?', slash);
        return admin.substring(0, slash + 1) + name + (query < 0 ? "" : admin.substring(query));
    }

    @Override
    public void close() {
        try {
            execute(admin, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop " + name, e);
        }
    }

    private static void execute(String url, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url);
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
