/**
 * The inventory of an image: its OS and packages (dpkg, apk, npm, Python), each with the
 * layer it came from. rpm databases are not read (Berkeley DB / SQLite): an rpm-based
 * image reports its OS and its language packages only.
 */
import type { Package } from '../model.js'
import type { FileSelector, ImageContents } from '../image/types.js'
import { APK_INSTALLED, apkPackages } from './apk.js'
import { DPKG_STATUS, DPKG_STATUS_D, dpkgPackages } from './dpkg.js'
import { NODE_MODULES_PACKAGE_JSON, PACKAGE_LOCK, npmPackages } from './npm.js'
import { detectOs, osEcosystem, type OsInfo } from './os.js'
import { PYTHON_METADATA, pythonPackages } from './python.js'

export type { OsInfo } from './os.js'

const MiB = 1024 * 1024

/** The files the inventory reads. */
export const inventorySelector: FileSelector = {
  wants(p) {
    return (
      p === 'etc/os-release' ||
      p === 'usr/lib/os-release' ||
      p === DPKG_STATUS ||
      (p.startsWith(DPKG_STATUS_D) && !p.endsWith('.md5sums')) ||
      p === APK_INSTALLED ||
      NODE_MODULES_PACKAGE_JSON.test(p) ||
      (PACKAGE_LOCK.test(p) && !p.includes('node_modules/')) ||
      PYTHON_METADATA.test(p)
    )
  },
  maxSize(p) {
    if (p === DPKG_STATUS || p === APK_INSTALLED) return 128 * MiB
    if (PACKAGE_LOCK.test(p)) return 64 * MiB
    return 4 * MiB
  }
}

export function inventory(image: ImageContents): { os?: OsInfo; packages: Package[] } {
  const os = detectOs(image)
  const packages = [
    ...dpkgPackages(image, osEcosystem(os, 'Debian')),
    ...apkPackages(image, osEcosystem(os, 'Alpine')),
    ...npmPackages(image),
    ...pythonPackages(image)
  ]
  return os ? { os, packages } : { packages }
}

export function ecosystemsOf(packages: Package[]): string[] {
  return [...new Set(packages.map(p => p.ecosystem))].sort()
}
