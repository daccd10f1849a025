-- DropForeignKey
ALTER TABLE "Delivery" DROP CONSTRAINT "Delivery_channelId_fkey";

-- DropForeignKey
ALTER TABLE "Delivery" DROP CONSTRAINT "Delivery_triggerId_fkey";

-- AddForeignKey
ALTER TABLE "Delivery" ADD CONSTRAINT "Delivery_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "NotificationChannel"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Delivery" ADD CONSTRAINT "Delivery_triggerId_fkey" FOREIGN KEY ("triggerId") REFERENCES "EventTrigger"("id") ON DELETE SET NULL ON UPDATE CASCADE;
