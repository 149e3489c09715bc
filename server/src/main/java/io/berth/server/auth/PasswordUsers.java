package io.berth.server.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.berth.server.AuthConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Users with bcrypt password hashes, from the config and an htpasswd file ({@code htpasswd -B}). The file is read
 * again when it changes, so users can be added without a restart; a broken edit keeps the previous users.
 */
public final class PasswordUsers {
    private static final Logger LOG = LoggerFactory.getLogger(PasswordUsers.class);
    /** Checked when the user is unknown, so a wrong name costs as long as a wrong password. */
    private static final byte[] DUMMY_HASH = BCrypt.withDefaults().hash(10, new byte[16],
            "no such user".getBytes(StandardCharsets.UTF_8));

    private final Map<String, String> configured = new HashMap<>();
    private final Map<String, Set<String>> groups = new HashMap<>();
    private final Path htpasswd;
    private volatile FileTime htpasswdModified;
    private volatile Map<String, String> fromFile = Map.of();

    public PasswordUsers(AuthConfig auth) {
        for (AuthConfig.User user : auth.users()) {
            requireBcrypt(user.passwordHash(), "user '" + user.name() + "' in the config");
            configured.put(user.name(), user.passwordHash());
            user.groups().forEach(group -> groups.computeIfAbsent(user.name(), name -> new HashSet<>()).add(group));
        }
        auth.groups().forEach((group, members) -> members.forEach(
                member -> groups.computeIfAbsent(member, name -> new HashSet<>()).add(group)));
        this.htpasswd = auth.htpasswd();
        if (htpasswd != null) {
            try {
                htpasswdModified = Files.getLastModifiedTime(htpasswd);
                fromFile = read(htpasswd);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read htpasswd file " + htpasswd + ": " + e, e);
            }
        }
    }

    /** The user these credentials belong to, if the password matches its hash. */
    public Optional<Identity> authenticate(String name, String password) {
        String hash = hashOf(name);
        byte[] secret = password.getBytes(StandardCharsets.UTF_8);
        if (hash == null) {
            BCrypt.verifyer().verify(secret, DUMMY_HASH);
            return Optional.empty();
        }
        boolean verified = BCrypt.verifyer().verify(secret, hash.getBytes(StandardCharsets.UTF_8)).verified;
        return verified ? Optional.of(identity(name)) : Optional.empty();
    }

    /** A user by name, for tokens issued earlier (refresh tokens, client certificates). */
    public Optional<Identity> find(String name) {
        return hashOf(name) != null ? Optional.of(identity(name)) : Optional.empty();
    }

    /** A user known by a client certificate: configured or not, it is that user with that user's groups. */
    public Identity certificateUser(String name) {
        return identity(name);
    }

    private Identity identity(String name) {
        return Identity.user(name, groups.getOrDefault(name, Set.of()));
    }

    /** The user's bcrypt hash as stored now (the htpasswd file read again if it changed), or null. */
    String hashOf(String name) {
        String hash = configured.get(name);
        return hash != null ? hash : currentFile().get(name);
    }

    private Map<String, String> currentFile() {
        if (htpasswd == null) {
            return Map.of();
        }
        try {
            FileTime modified = Files.getLastModifiedTime(htpasswd);
            if (!modified.equals(htpasswdModified)) {
                synchronized (this) {
                    if (!modified.equals(htpasswdModified)) {
                        fromFile = read(htpasswd);
                        htpasswdModified = modified;
                        LOG.info("reloaded {} ({} users)", htpasswd, fromFile.size());
                    }
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("keeping the previous users: {}", e.getMessage());
        }
        return fromFile;
    }

    private static Map<String, String> read(Path file) throws IOException {
        Map<String, String> users = new HashMap<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected user:hash");
            }
            String hash = line.substring(colon + 1);
            requireBcrypt(hash, file + " line " + (i + 1));
            users.put(line.substring(0, colon), hash);
        }
        return users;
    }

    private static void requireBcrypt(String hash, String where) {
        if (!hash.matches("\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}")) {
            throw new IllegalArgumentException(where + ": only bcrypt hashes are accepted (htpasswd -B)");
        }
    }
}
