package io.berth.server;

import java.io.PrintWriter;
import java.util.List;

/** Rows printed as left-aligned columns, two spaces apart, for the command line; the last column is not padded. */
record TextTable(List<List<String>> rows) {

    void print(PrintWriter out) {
        int columns = rows.getFirst().size();
        int[] widths = new int[columns];
        for (List<String> row : rows) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(i == columns - 1 ? row.get(i) : String.format("%-" + widths[i] + "s  ", row.get(i)));
            }
            out.println(line);
        }
    }
}
