package io.berth.server.tls;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.openssl.PEMParser;

/** Reads the objects of a PEM file (keys, certificates), with messages that name the file and what it is for. */
public final class PemFiles {
    private PemFiles() {
    }

    /**
     * The objects of {@code file}, in order, as BouncyCastle parses them. {@code what} names the file in messages
     * ("TLS private key file", "token signing key").
     *
     * @throws IllegalArgumentException when it is missing, unreadable or not PEM
     */
    public static List<Object> read(Path file, String what) {
        List<Object> objects = new ArrayList<>();
        // PEM is ASCII; Latin-1 never fails to decode, so stray bytes reach the PEM parser and its message.
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1);
             PEMParser parser = new PEMParser(reader)) {
            for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                objects.add(object);
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + " " + file + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException(what + " " + file + " cannot be read: permission denied for the user "
                    + "Berth runs as", e);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(what + " " + file + " is not valid PEM: " + e.getMessage(), e);
        }
        return objects;
    }
}
