{{ academic_staging('ela') }}
