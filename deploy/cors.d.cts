export interface CorsSettings {
  allowedOrigins: string[];
  allowedHeaders: string[];
  allowedMethods: string[];
  exposedResponseHeaders: string[];
  allowCredentials: false;
  maxAge: number;
}
export function corsSettings(originsText: string | undefined): CorsSettings | undefined;
