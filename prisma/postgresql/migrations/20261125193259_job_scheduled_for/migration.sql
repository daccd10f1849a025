/*
  Warnings:

  - A unique constraint covering the columns `[scheduleId,scheduledFor]` on the table `Job` will be added. If there are existing duplicate values, this will fail.

*/
-- AlterTable
ALTER TABLE "Job" ADD COLUMN     "scheduledFor" TIMESTAMP(3);

-- CreateIndex
CREATE UNIQUE INDEX "Job_scheduleId_scheduledFor_key" ON "Job"("scheduleId", "scheduledFor");
