package io.mltrace.agent.cli.analysis;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/** The case-study figures, drawn with Java2D and written as PNG (headless; no plotting library). */
final class Plots {
  static final Color[] COLOURS = {new Color(0x4e79a7), new Color(0xf28e2b), new Color(0xe15759),
      new Color(0x76b7b2), new Color(0x59a14f), new Color(0xedc948), new Color(0xb07aa1), new Color(0xff9da7),
      new Color(0x9c755f), new Color(0xbab0ac)};
  private static final int W = 720;
  private static final int H = 420;
  private static final int LEFT = 90;
  private static final int RIGHT = 30;
  private static final int TOP = 60;
  private static final int BOTTOM = 60;

  /** A named series of points, drawn as markers ({@code line == false}) or a polyline. */
  record Series(String name, double[] x, double[] y, boolean line) {}

  private Plots() {}

  /** Horizontal stacked bars: per row, each category's share of the row's total, with a legend. */
  static void stackedShares(Path file, String title, List<String> rows, List<String> categories,
      Map<String, double[]> valuesByRow) throws IOException {
    int height = TOP + 40 * rows.size() + 90;
    BufferedImage image = new BufferedImage(W, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = start(image, title);
    int left = 150;
    int width = W - left - RIGHT;
    for (int r = 0; r < rows.size(); r++) {
      double[] v = valuesByRow.get(rows.get(r));
      double total = 0;
      for (double x : v) {
        total += x;
      }
      int y = TOP + 10 + 40 * r;
      g.setColor(Color.BLACK);
      g.drawString(rows.get(r), 10, y + 18);
      double at = 0;
      for (int c = 0; c < v.length; c++) {
        if (v[c] <= 0 || total <= 0) {
          continue;
        }
        int x0 = left + (int) Math.round(at / total * width);
        at += v[c];
        int x1 = left + (int) Math.round(at / total * width);
        g.setColor(COLOURS[c % COLOURS.length]);
        g.fillRect(x0, y, Math.max(1, x1 - x0), 26);
      }
    }
    int y = TOP + 40 * rows.size() + 30;
    int x = 10;
    for (int c = 0; c < categories.size(); c++) {
      g.setColor(COLOURS[c % COLOURS.length]);
      g.fillRect(x, y, 12, 12);
      g.setColor(Color.BLACK);
      g.drawString(categories.get(c), x + 16, y + 11);
      x += 18 + g.getFontMetrics().stringWidth(categories.get(c)) + 14;
      if (x > W - 100) {
        x = 10;
        y += 20;
      }
    }
    write(image, g, file);
  }

  /** An x-y chart with linear axes (or a log2 x axis), markers and lines, and a legend. */
  static void xy(Path file, String title, String xLabel, String yLabel, List<Series> series, boolean log2X)
      throws IOException {
    BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = start(image, title);
    double minX = Double.MAX_VALUE;
    double maxX = -Double.MAX_VALUE;
    double maxY = 0;
    for (Series s : series) {
      for (int i = 0; i < s.x().length; i++) {
        double x = log2X ? Math.log(s.x()[i]) / Math.log(2) : s.x()[i];
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
        maxY = Math.max(maxY, s.y()[i]);
      }
    }
    if (!log2X) {
      minX = Math.min(0, minX);
    }
    if (maxX == minX) {
      maxX = minX + 1;
    }
    maxY = maxY <= 0 ? 1 : maxY * 1.1;
    int pw = W - LEFT - RIGHT;
    int ph = H - TOP - BOTTOM;
    g.setColor(Color.BLACK);
    g.drawLine(LEFT, TOP + ph, LEFT + pw, TOP + ph);
    g.drawLine(LEFT, TOP, LEFT, TOP + ph);
    for (int t = 0; t <= 4; t++) {
      double yv = maxY * t / 4;
      int py = TOP + ph - (int) Math.round(ph * t / 4.0);
      g.drawString(tick(yv), 5, py + 4);
      if (!log2X) {
        double xv = minX + (maxX - minX) * t / 4;
        g.drawString(tick(xv), LEFT + (int) Math.round(pw * t / 4.0) - 10, TOP + ph + 18);
      }
    }
    // A log2 axis is labelled at its powers of two.
    for (int e = (int) Math.ceil(minX); log2X && e <= maxX; e++) {
      int px = LEFT + (int) Math.round((e - minX) / (maxX - minX) * pw);
      g.drawString(tick(Math.pow(2, e)), px - 6, TOP + ph + 18);
    }
    g.drawString(xLabel, LEFT + pw / 2 - 40, H - 15);
    g.drawString(yLabel, 5, TOP - 12);
    int legendY = TOP + 10;
    for (int si = 0; si < series.size(); si++) {
      Series s = series.get(si);
      g.setColor(COLOURS[si % COLOURS.length]);
      int prevX = -1;
      int prevY = -1;
      for (int i = 0; i < s.x().length; i++) {
        double x = log2X ? Math.log(s.x()[i]) / Math.log(2) : s.x()[i];
        int px = LEFT + (int) Math.round((x - minX) / (maxX - minX) * pw);
        int py = TOP + ph - (int) Math.round(s.y()[i] / maxY * ph);
        if (s.line()) {
          if (prevX >= 0) {
            g.drawLine(prevX, prevY, px, py);
          }
        } else {
          g.fillOval(px - 4, py - 4, 9, 9);
        }
        prevX = px;
        prevY = py;
      }
      if (!s.name().isEmpty()) {
        g.fillRect(LEFT + 15, legendY - 9, 12, 10);
        g.setColor(Color.BLACK);
        g.drawString(s.name(), LEFT + 32, legendY);
        legendY += 16;
      }
    }
    write(image, g, file);
  }

  private static String tick(double v) {
    double a = Math.abs(v);
    if (a >= 1e9) {
      return Format.f("%.3gG", v / 1e9);
    }
    if (a >= 1e6) {
      return Format.f("%.3gM", v / 1e6);
    }
    if (a >= 1e3) {
      return Format.f("%.3gk", v / 1e3);
    }
    return Format.f("%.3g", v);
  }

  private static Graphics2D start(BufferedImage image, String title) {
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    g.setStroke(new BasicStroke(2f));
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.setColor(Color.BLACK);
    g.drawString(title, 10, 22);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    return g;
  }

  private static void write(BufferedImage image, Graphics2D g, Path file) throws IOException {
    g.dispose();
    ImageIO.write(image, "png", file.toFile());
  }
}
