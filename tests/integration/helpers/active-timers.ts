/** Active ref'd timers of this process (`setTimeout`/`setInterval` not yet fired, cleared or unref'd). */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}
