-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Delivery" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "outboxId" TEXT,
    "channelId" TEXT,
    "triggerId" TEXT,
    "alertId" TEXT,
    "eventId" TEXT,
    "event" TEXT NOT NULL,
    "ok" BOOLEAN NOT NULL,
    "statusCode" INTEGER,
    "latencyMs" INTEGER,
    "error" TEXT,
    "firedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempt" INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT "Delivery_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "NotificationChannel" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Delivery_triggerId_fkey" FOREIGN KEY ("triggerId") REFERENCES "EventTrigger" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Delivery_alertId_fkey" FOREIGN KEY ("alertId") REFERENCES "Alert" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Delivery" ("alertId", "attempt", "channelId", "error", "event", "eventId", "firedAt", "id", "latencyMs", "ok", "outboxId", "statusCode", "triggerId") SELECT "alertId", "attempt", "channelId", "error", "event", "eventId", "firedAt", "id", "latencyMs", "ok", "outboxId", "statusCode", "triggerId" FROM "Delivery";
DROP TABLE "Delivery";
ALTER TABLE "new_Delivery" RENAME TO "Delivery";
CREATE INDEX "Delivery_channelId_firedAt_idx" ON "Delivery"("channelId", "firedAt");
CREATE INDEX "Delivery_triggerId_firedAt_idx" ON "Delivery"("triggerId", "firedAt");
CREATE INDEX "Delivery_alertId_firedAt_idx" ON "Delivery"("alertId", "firedAt");
CREATE INDEX "Delivery_firedAt_idx" ON "Delivery"("firedAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
